/** Shared test set-up: the wasm backend, the models from the registry (mirror), the sample photos. */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/lib/node/backend.ts';
import type { FeatureModel } from '../../src/lib/engine/model.ts';
import { centreCrop, imageFromPixels, readPixels, type Pixels } from '../../src/lib/node/files.ts';
import { loadModel } from '../../src/lib/node/load-model.ts';
import { REPO_ROOT } from '../../src/lib/node/model-cache.ts';

export const SMALL = 'mobilenet_v1_0.25_224';
export const GRAPH = 'mobilenet_v1_0.25_224_tfhub_graph';
export const PHOTOS_DIR = process.env.FEATURESCOPE_PHOTOS ?? join(REPO_ROOT, '..', 'shared', 'images');
export const PHOTOS = ['cat', 'airplane', 'portrait'].map((p) => join(PHOTOS_DIR, `${p}.jpg`));

const cache = new Map<string, Promise<FeatureModel>>();
export async function model(id: string): Promise<FeatureModel> {
  await useBackend(['wasm']);
  if (!cache.has(id)) cache.set(id, loadModel(id));
  return cache.get(id)!;
}

/** Each sample photo decoded once per process (plain bytes, no tensors kept between tests). */
const decoded = new Map<string, Promise<Pixels>>();

/** The sample photos, centre-cropped and resized to size×size, as one batch in [0,1]. */
export async function photos(size: number): Promise<tf.Tensor4D> {
  const crops = [];
  for (const p of PHOTOS) {
    if (!decoded.has(p)) decoded.set(p, readPixels(p));
    const img = imageFromPixels(await decoded.get(p)!);
    crops.push(centreCrop(img, size));
    img.dispose();
  }
  const batch = tf.concat(crops) as tf.Tensor4D;
  crops.forEach((c) => c.dispose());
  return batch;
}
