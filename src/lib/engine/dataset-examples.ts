/**
 * Dataset examples: which photos drive a channel most, and where. One forward pass per batch of photos gives, for
 * every channel of every asked layer, its maximum over positions, the position of that maximum and its mean; a
 * channel's examples are the photos with the highest maximum, each cropped to the receptive field of the unit that
 * fired. DOM-free: runs in the worker and in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { readBack } from './read-back.ts';
import type { FeatureModel, LayerInfo } from './model.ts';

/** One photo's summary of one layer: per channel its maximum over positions, where it is, and its mean. */
export interface PhotoStats {
  max: Float32Array;
  /** Flat position of the maximum: row · width + column of the layer's output. */
  argmax: Int32Array;
  mean: Float32Array;
}

/**
 * Every asked layer's per-channel summary for each photo of a batch ([n, h, w, 3] in [0,1], at the model's input size),
 * from one forward pass. A layer with a vector output (class scores) counts as one position.
 */
export async function layerStats(model: FeatureModel, batch: tf.Tensor4D, layers: string[]): Promise<Map<string, PhotoStats[]>> {
  const reductions = tf.tidy(() => {
    const acts = model.forward(batch, layers);
    return layers.map((name) => reduceChannels(acts.get(name)!));
  }) as Reduced[];
  const out = new Map<string, PhotoStats[]>();
  for (let i = 0; i < layers.length; i++) out.set(layers[i], await statsOf(reductions[i]));
  return out;
}

/** Per item of a batch of activations [n, …, c]: each channel's maximum over positions, its position, its mean. */
type Reduced = { max: tf.Tensor2D; argmax: tf.Tensor2D; mean: tf.Tensor2D };

function reduceChannels(a: tf.Tensor): Reduced {
  const flat = a.reshape([a.shape[0], -1, a.shape[a.rank - 1]]);
  return { max: flat.max(1), argmax: flat.argMax(1), mean: flat.mean(1) };
}

/** The reductions read back (and disposed), split per item. */
async function statsOf(r: Reduced): Promise<PhotoStats[]> {
  try {
    const [max, argmax, mean] = (await Promise.all([readBack(r.max), readBack(r.argmax), readBack(r.mean)])) as [
      Float32Array,
      Int32Array,
      Float32Array,
    ];
    const [n, c] = r.max.shape;
    return Array.from({ length: n }, (_, i) => ({
      max: max.slice(i * c, (i + 1) * c),
      argmax: argmax.slice(i * c, (i + 1) * c),
      mean: mean.slice(i * c, (i + 1) * c),
    }));
  } finally {
    tf.dispose([r.max, r.argmax, r.mean]);
  }
}

/** A box in a photo's own pixels: left, top, width, height. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The receptive field of the unit at flat position `index` of `layer`, in the pixels of a photo of `photo` size that
 * was centre-cropped to a square and resized to `inputShape` (corners aligned, as centreCrop does), clipped to the
 * photo. A layer without a spatial grid (one unit) sees the whole crop.
 */
export function unitBox(
  layer: Pick<LayerInfo, 'shape' | 'grid' | 'receptiveField'>,
  index: number,
  inputShape: readonly [number, number, ...number[]],
  photo: { width: number; height: number },
): Box {
  const side = Math.min(photo.width, photo.height);
  const offset = [Math.floor((photo.height - side) / 2), Math.floor((photo.width - side) / 2)];
  const row = Math.floor(index / layer.shape[1]);
  const col = index % layer.shape[1];
  const edges = (axis: 0 | 1, limit: number): [number, number] => {
    const n = inputShape[axis];
    // Network pixel p is the crop's pixel p·scale (corners aligned); each covers `scale` crop pixels.
    const scale = n > 1 ? (side - 1) / (n - 1) : side;
    let lo: number;
    let hi: number;
    if (layer.grid) {
      const centre = layer.grid.start[axis] + (axis === 0 ? row : col) * layer.grid.jump[axis];
      const half = (layer.receptiveField - 1) / 2;
      lo = (centre - half) * scale + 0.5 - scale / 2;
      hi = (centre + half) * scale + 0.5 + scale / 2;
    } else [lo, hi] = [0, side];
    const a = Math.min(limit - 1, Math.max(0, Math.round(offset[axis] + lo)));
    const b = Math.min(limit, Math.max(a + 1, Math.round(offset[axis] + hi)));
    return [a, b];
  };
  const [y0, y1] = edges(0, photo.height);
  const [x0, x1] = edges(1, photo.width);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** One photo's record for a channel: its maximum, and where. */
export interface Example {
  photo: string;
  value: number;
  /** Flat position of the maximum in the layer's output. */
  index: number;
}

/** The k photos whose maximum of `channel` is highest, highest first (equal values keep the photos' order). */
export function topExamples(photos: Iterable<[string, PhotoStats]>, channel: number, k: number): Example[] {
  const all: Example[] = [];
  for (const [photo, s] of photos) all.push({ photo, value: s.max[channel], index: s.argmax[channel] });
  return all
    .map((e, order) => ({ e, order }))
    .sort((a, b) => b.e.value - a.e.value || a.order - b.order)
    .slice(0, k)
    .map((x) => x.e);
}

/** The n channels a photo drives most, by their maximum or their mean, highest first. */
export function topChannels(stats: PhotoStats, by: 'max' | 'mean', n: number): { channel: number; value: number }[] {
  const v = stats[by];
  return [...v.keys()]
    .sort((a, b) => v[b] - v[a] || a - b)
    .slice(0, n)
    .map((channel) => ({ channel, value: v[channel] }));
}

/** One layer of a photo explained: its top channels both ways and their activation maps. */
export interface LayerExplained {
  layer: string;
  height: number;
  width: number;
  byMax: { channel: number; value: number }[];
  byMean: { channel: number; value: number }[];
  /** Activation map (height × width, row by row) of every channel listed above, and of the pinned one. */
  maps: Record<number, Float32Array>;
  /** A channel asked for by name (the card a person came from), with its maximum and mean, ranked or not. */
  pinned?: { channel: number; max: number; mean: number };
}

/**
 * A photo ([1, h, w, 3] in [0,1] at the input size) explained layer by layer: the n channels it drives most by
 * their maximum and by their mean, with their spatial maps, from one forward pass; a pinned channel's map comes too.
 */
export async function explainLayers(
  model: FeatureModel,
  photo: tf.Tensor4D,
  layers: string[],
  n: number,
  pinned?: { layer: string; channel: number },
): Promise<LayerExplained[]> {
  const acts = tf.tidy(() => {
    const all = model.forward(photo, layers);
    return layers.map((name) => tf.keep(all.get(name)!));
  });
  try {
    const out: LayerExplained[] = [];
    for (let i = 0; i < layers.length; i++) {
      const name = layers[i];
      const a = acts[i];
      const [height, width] = a.rank === 4 ? [a.shape[1]!, a.shape[2]!] : [1, 1];
      const [s] = await statsOf(tf.tidy(() => reduceChannels(a)) as Reduced);
      const byMax = topChannels(s, 'max', n);
      const byMean = topChannels(s, 'mean', n);
      const pin = pinned?.layer === name && pinned.channel < s.max.length ? [pinned.channel] : [];
      const chosen = [...new Set([...pin, ...[...byMax, ...byMean].map((x) => x.channel)])];
      const pickedT = tf.tidy(() => tf.gather(a.reshape([height * width, -1]), chosen, 1).transpose());
      const picked = (await readBack(pickedT)) as Float32Array;
      pickedT.dispose();
      const maps: Record<number, Float32Array> = {};
      chosen.forEach((ch, j) => (maps[ch] = picked.slice(j * height * width, (j + 1) * height * width)));
      const pinnedStats = pin.length ? { channel: pin[0], max: s.max[pin[0]], mean: s.mean[pin[0]] } : undefined;
      out.push({ layer: name, height, width, byMax, byMean, maps, pinned: pinnedStats });
    }
    return out;
  } finally {
    tf.dispose(acts);
  }
}
