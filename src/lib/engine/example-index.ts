/**
 * A photo set summarized for one model: per layer and per photo, each channel's maximum, its position and its mean
 * (dataset-examples.ts). Filled batch by batch, one forward pass per batch for all asked layers; asked for a
 * channel's top examples (with their receptive-field boxes in the photos' own pixels) and for the best photo value
 * that a render is measured against. Used by the worker (the studio's photo set) and the examples CLI.
 */
import * as tf from '@tensorflow/tfjs';
import { layerStats, topExamples, unitBox, type Box, type PhotoStats } from './dataset-examples.ts';
import { centreCrop } from './image-ops.ts';
import type { FeatureModel } from './model.ts';

/** A channel's example: the photo, the channel's maximum on it, and the box of the unit where it is. */
export interface PlacedExample extends Box {
  photo: string;
  value: number;
}

/**
 * A photo to index: its id, and a loader of the network's view of it — the centre square resized to `height`×`width`
 * ([1, height, width, 3] in [0,1]) — with the photo's own size (its boxes are in those pixels).
 */
export interface PhotoSource {
  id: string;
  load(height: number, width: number): Promise<{ view: tf.Tensor4D; width: number; height: number }>;
}

/** A photo source from a full-resolution loader ([h, w, 3] in [0,1]): the view is its centreCrop. */
export function croppedSource(id: string, load: () => Promise<tf.Tensor3D>): PhotoSource {
  return {
    id,
    async load(height, width) {
      const img = await load();
      try {
        return { view: centreCrop(img, height, width), width: img.shape[1], height: img.shape[0] };
      } finally {
        img.dispose();
      }
    },
  };
}

export interface IndexProgress {
  done: number;
  total: number;
  skipped: { photo: string; reason: string }[];
}

export class ExampleIndex {
  private readonly byLayer = new Map<string, Map<string, PhotoStats>>();
  /** Each indexed photo's own size (its boxes are in these pixels). */
  private readonly sizes = new Map<string, { width: number; height: number }>();

  constructor(private readonly model: Pick<FeatureModel, 'layers' | 'inputShape' | 'layer'>) {}

  /** Photos indexed for `layer` (in the order they were added). */
  photosOf(layer: string): string[] {
    return [...(this.byLayer.get(layer)?.keys() ?? [])];
  }

  /** Of `photos`, those not yet summarized for every one of `layers`. */
  missing(layers: string[], photos: string[]): string[] {
    return photos.filter((p) => layers.some((l) => !this.byLayer.get(l)?.has(p)));
  }

  add(photos: string[], sizes: { width: number; height: number }[], stats: Map<string, PhotoStats[]>): void {
    photos.forEach((p, i) => this.sizes.set(p, sizes[i]));
    for (const [layer, per] of stats) {
      let m = this.byLayer.get(layer);
      if (!m) this.byLayer.set(layer, (m = new Map()));
      photos.forEach((p, i) => m.set(p, per[i]));
    }
  }

  /** Forgets photos (removed from the set). */
  remove(photos: string[]): void {
    for (const p of photos) {
      this.sizes.delete(p);
      for (const m of this.byLayer.values()) m.delete(p);
    }
  }

  /** Only these photos stay (the set changed elsewhere). */
  keepOnly(photos: Iterable<string>): void {
    const keep = new Set(photos);
    this.remove([...this.sizes.keys()].filter((p) => !keep.has(p)));
  }

  /** The k photos that drive `channel` of `layer` most, highest first, each with its unit's box in the photo. */
  examples(layer: string, channel: number, k: number): PlacedExample[] {
    const info = this.model.layer(layer);
    const stats = this.byLayer.get(layer);
    if (!stats) return [];
    return topExamples(stats, channel, k).map((e) => ({
      photo: e.photo,
      value: e.value,
      ...unitBox(info, e.index, this.model.inputShape, this.sizes.get(e.photo)!),
    }));
  }

  /** The photos' best value of `channel` by its maximum or its mean, and which photo; null with no photos. */
  best(layer: string, channel: number, by: 'max' | 'mean'): { photo: string; value: number } | null {
    let best: { photo: string; value: number } | null = null;
    for (const [photo, s] of this.byLayer.get(layer) ?? []) {
      if (!best || s[by][channel] > best.value) best = { photo, value: s[by][channel] };
    }
    return best;
  }
}

/**
 * Summarizes the photos for `layers` into the index, `batch` photos per forward pass. A photo that cannot be read is
 * skipped with its reason; `stop()` is asked between batches (a cancel); `progress` hears after each batch.
 */
export async function indexPhotos(
  model: FeatureModel,
  index: ExampleIndex,
  sources: PhotoSource[],
  layers: string[],
  o: { batch?: number; stop?: () => boolean; progress?: (p: IndexProgress) => void } = {},
): Promise<IndexProgress & { stopped: boolean }> {
  const size = o.batch ?? 8;
  const [h, w] = model.inputShape;
  const p: IndexProgress = { done: 0, total: sources.length, skipped: [] };
  for (let i = 0; i < sources.length; i += size) {
    if (o.stop?.()) return { ...p, stopped: true };
    const views: tf.Tensor4D[] = [];
    const ids: string[] = [];
    const sizes: { width: number; height: number }[] = [];
    try {
      for (const s of sources.slice(i, i + size)) {
        try {
          const got = await s.load(h, w);
          views.push(got.view);
          ids.push(s.id);
          sizes.push({ width: got.width, height: got.height });
        } catch (e) {
          p.skipped.push({ photo: s.id, reason: (e as Error).message });
        }
      }
      if (views.length) {
        const batch = tf.concat(views) as tf.Tensor4D;
        try {
          index.add(ids, sizes, await layerStats(model, batch, layers));
        } finally {
          batch.dispose();
        }
      }
    } finally {
      views.forEach((v) => v.dispose());
    }
    p.done = Math.min(sources.length, i + size);
    o.progress?.({ ...p, skipped: [...p.skipped] });
  }
  return { ...p, stopped: false };
}
