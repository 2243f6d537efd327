/**
 * Feature inversion: what a layer keeps of a photo. An image is optimized, from noise, until its activations at the
 * layer point the way the photo's do (Lucid's feature inversion: the dot product with the photo's activations over
 * their norm, times their cosine similarity). Early layers keep nearly everything — colours, edges, where each thing
 * is; deep layers keep the parts and textures that matter for the class and let colour and exact position go.
 *
 * As in Lucid, the photo goes through the same random transforms as the image, in the same batch, so both are
 * compared in the same frame every step (the transforms do not blur the comparison). One batch item per layer.
 * DOM-free: runs in the worker and in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { Adam } from './adam.ts';
import { EngineError } from './errors.ts';
import type { FeatureModel } from './model.ts';
import type { Objective } from './objectives.ts';
import { createParam, type ImageParam } from './param.ts';
import { renderVis, type RenderOptions, type RenderResult } from './render-vis.ts';
import { applySampling, drawTransform, mixSeed, rng, samplingMap, transformsForSize } from './transforms.ts';

export interface InversionSettings {
  /** Side of the images, in pixels (the photo is resized to it). */
  size: number;
  steps: number;
  seed: number;
}

export const INVERSION_DEFAULTS: InversionSettings = { size: 128, steps: 192, seed: 0 };

/** Snapshots every this many steps (and at the last). */
export const INVERSION_SNAPSHOT_EVERY = 16;

/** How much the direction of the activations counts beside their size (Lucid's cossim_pow). */
const COSSIM_POW = 1;
/**
 * The cosine is floored here: from noise it starts near zero or below, where cos^pow would give no gradient at all
 * (a deep layer's image then stayed grey).
 */
const COS_FLOOR = 0.1;

/** Dot product with the target over the target's norm, times the (floored) cosine similarity: one score. */
function likeness(a: tf.Tensor, target: tf.Tensor): tf.Scalar {
  const dot = tf.sum(tf.mul(a, target));
  const targetNorm = tf.norm(target);
  const cos = tf.div(dot, tf.add(tf.mul(tf.norm(a), targetNorm), 1e-6));
  return tf.mul(tf.div(dot, tf.add(targetNorm, 1e-6)), tf.pow(tf.maximum(cos, COS_FLOOR), COSSIM_POW)) as tf.Scalar;
}

/**
 * Item i scores the likeness of its activations at layers[i] to the photo's. In a batch of 2·n (the images, then the
 * photo once per image, transformed alike) the photo's are read from the second half; in a batch of n (the clean
 * images, untransformed) from `still`, the untransformed photo's activations, [1, …] per layer.
 */
export function inversionObjective(layers: string[], still: tf.Tensor[]): Objective {
  const n = layers.length;
  return {
    layers: [...new Set(layers)],
    label: `inversion of ${layers.join(', ')}`,
    score: ({ acts }) =>
      tf.stack(
        layers.map((layer, i) => {
          const all = acts.get(layer)!;
          const mine = all.slice([i], [1]);
          const target = all.shape[0] === 2 * n ? all.slice([n + i], [1]) : still[i];
          return likeness(mine, target);
        }),
      ) as tf.Tensor1D,
  };
}

function check(model: FeatureModel, photo: tf.Tensor, layers: string[], s: InversionSettings) {
  const [b, , , c] = photo.shape;
  if (photo.rank !== 4 || b !== 1 || (c !== 3 && c !== 1))
    throw new EngineError(`the photo must be one image of 1 or 3 planes, [1, h, w, 3]; got [${photo.shape.join(', ')}]`);
  if (!layers.length) throw new EngineError('nothing to invert: no layer');
  for (const l of layers) model.layer(l);
  if (!(s.size >= 16 && s.size <= 512)) throw new EngineError(`size ${s.size} is out of range (16-512)`);
  if (!Number.isInteger(s.steps) || s.steps < 1 || s.steps > 4096)
    throw new EngineError(`steps must be a whole number from 1 to 4096 (got ${s.steps})`);
}

/**
 * Inverts `photo` ([1, h, w, 3] in [0,1], any size: resized to `size`) at each of `layers`, one image per layer in
 * one batch. Snapshots, cancel and pause as for renders (RenderOptions); the result's values are each image's
 * likeness to the photo at its layer.
 */
export async function invertPhoto(
  model: FeatureModel,
  photo: tf.Tensor4D,
  layers: string[],
  settings: Partial<InversionSettings> = {},
  options: RenderOptions = {},
): Promise<RenderResult> {
  const s: InversionSettings = { ...INVERSION_DEFAULTS, ...settings };
  check(model, photo, layers, s);
  const n = layers.length;
  const size = s.size;
  const seeds = layers.map((_, i) => mixSeed(s.seed, i, 0x1e5));
  const rands = seeds.map((sd) => rng(mixSeed(sd, 0x7a11)));
  const planes = model.inputShape[2] === 1 ? 1 : 3;
  const tOpts = { ...transformsForSize(size), outputSize: [size, size] as [number, number] };
  const thresholds = Array.from(
    { length: Math.floor(s.steps / INVERSION_SNAPSHOT_EVERY) },
    (_, k) => (k + 1) * INVERSION_SNAPSHOT_EVERY,
  );
  const owned: tf.Tensor[] = [];
  let param: ImageParam | null = null;
  let optimizer: Adam | null = null;
  // From here on everything is released in the finally block, whatever throws.
  try {
    // The photo at the images' size; a one-plane network (a grey digit reader) sees the mean of its colours, a
    // colour network a grey photo three times.
    const sized = tf.tidy(() => {
      const r = tf.image.resizeBilinear(photo, [size, size], true);
      if (planes === r.shape[3]) return r;
      return (planes === 1 ? tf.mean(r, 3, true) : tf.tile(r, [1, 1, 1, 3])) as tf.Tensor4D;
    });
    owned.push(sized);
    const photos = tf.tidy(() => tf.tile(sized, [n, 1, 1, 1]) as tf.Tensor4D);
    owned.push(photos);
    const still = tf.tidy(() => {
      const acts = model.forward(sized, layers);
      return layers.map((l) => tf.keep(acts.get(l)!));
    });
    owned.push(...still);
    param = createParam({ kind: 'fourier', height: size, width: size, seeds, decayPower: 1, decorrelate: true, planes });
    optimizer = new Adam(param.variable, { lr: 0.05, lrEnd: null, steps: s.steps });
    return await renderVis(
      {
        model,
        objective: inversionObjective(layers, still),
        param,
        optimizer,
        // Each image and its photo copy take the same draw: they are compared in the same frame.
        transform: (image) => {
          const draws = rands.map((r) => drawTransform(r, tOpts));
          return applySampling(tf.concat([image, photos]), samplingMap(size, size, [...draws, ...draws], tOpts));
        },
        steps: s.steps,
        redirectSteps: 16,
        thresholds,
      },
      options,
    );
  } finally {
    for (const t of owned) t.dispose();
    param?.dispose();
    optimizer?.dispose();
  }
}
