/**
 * Objectives: what the optimizer maximizes. Each objective names the layers it reads and maps their activations
 * (and the image) to one score per batch item, shape [b]. Objectives compose: `sum`, `scale` (and so negation),
 * which is how regularizers and diversity are added to a channel objective.
 */
import * as tf from '@tensorflow/tfjs';
import { channelMeansKernel } from './kernels/channel-mean.ts';

export interface ObjectiveContext {
  /** Activations of the layers the objective asked for, [b, h, w, c] (or [b, k] for flat layers). */
  acts: Map<string, tf.Tensor>;
  /** The image being optimized, [b, h, w, 3] in [0,1], before transforms. */
  image: tf.Tensor4D;
  /**
   * Layers whose activations hold only some channels, in this order on the last axis (the engine computed only the
   * channels the objective declared, see Objective.channels); layers not here are whole.
   */
  subsets?: Map<string, number[]>;
}

export interface Objective {
  layers: string[];
  /**
   * The only channels of a layer the score reads, ascending; a layer of `layers` not listed is read whole. A listed
   * layer may come computed in part: the score then finds its channels through ObjectiveContext.subsets.
   */
  channels?: Record<string, number[]>;
  /** Per-item score, shape [b]. */
  score(ctx: ObjectiveContext): tf.Tensor1D;
  /** Short description for manifests and the UI. */
  label: string;
}

export type ObjectiveKind = 'channel' | 'neuron' | 'layer' | 'logit';

function as4d(t: tf.Tensor): tf.Tensor4D {
  return (t.rank === 4 ? t : t.reshape([t.shape[0], 1, 1, -1])) as tf.Tensor4D;
}

/** Ascending distinct channels. */
const distinct = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);

/** Where channel `index` of `layer` sits on the last axis of its activations in `ctx`. */
function position(ctx: ObjectiveContext, layer: string, index: number): number {
  const subset = ctx.subsets?.get(layer);
  if (!subset) return index;
  const at = subset.indexOf(index);
  if (at < 0) throw new Error(`internal: channel ${index} of ${layer} was not computed`);
  return at;
}

/** One-hot selector [b, 1, 1, C] picking channel targets[i] for item i (tf.oneHot refuses C = 1: a layer in part). */
function selector(targets: number[], channels: number): tf.Tensor4D {
  const w = new Float32Array(targets.length * channels);
  targets.forEach((t, i) => (w[i * channels + t] = 1));
  return tf.tensor4d(w, [targets.length, 1, 1, channels]);
}

/** Mean over space of channel targets[i] at `layer`, for item i: a weighted sum of one channel of weight 1. */
export function channel(layer: string, targets: number[]): Objective {
  return {
    ...weightedChannels(
      layer,
      targets.map((index) => [{ index, weight: 1 }]),
    ),
    label: `channel ${layer}:${targets.join(',')}`,
  };
}

/** A channel and its weight in a weighted sum of channels. */
export interface ChannelTerm {
  index: number;
  weight: number;
}

/**
 * Per item, a weighted sum of channel means: item i scores Σ weight·mean(channel) over terms[i]. With one term of
 * weight 1 it is `channel`; −1 is the negative of a channel; (1, 1) a sum, (1, −1) a difference, (1−t, t) a point
 * on the way from one channel to another — and items of a batch may each have their own mix.
 */
export function weightedChannels(layer: string, terms: ChannelTerm[][]): Objective {
  return {
    layers: [layer],
    channels: { [layer]: distinct(terms.flatMap((t) => t.map((x) => x.index))) },
    label: `channels ${layer}:${terms.map((t) => t.map((x) => `${x.weight}·${x.index}`).join('+')).join(',')}`,
    score: (ctx) => {
      const a = as4d(ctx.acts.get(layer)!);
      const at = terms.map((t) => t.map((x) => ({ index: position(ctx, layer, x.index), weight: x.weight })));
      const kernel = channelMeansKernel(a, at);
      if (kernel) return kernel;
      const c = a.shape[3];
      const w = new Float32Array(at.length * c);
      at.forEach((t, i) => t.forEach((x) => (w[i * c + x.index] += x.weight)));
      return tf.mean(tf.sum(tf.mul(a, tf.tensor4d(w, [terms.length, 1, 1, c])), 3), [1, 2]) as tf.Tensor1D;
    },
  };
}

/**
 * Channel targets[i] at one position of `layer`, for item i: the centre, or positions[i] given as fractions of the
 * layer's height and width (so the same unit is meant at any render size).
 */
export function neuron(layer: string, targets: number[], positions?: ([number, number] | null)[]): Objective {
  return {
    layers: [layer],
    channels: { [layer]: distinct(targets) },
    label: `neuron ${layer}:${targets.join(',')}`,
    score: (ctx) => {
      const a = as4d(ctx.acts.get(layer)!);
      const [b, h, w, c] = a.shape;
      const at = (i: number): [number, number] => {
        const p = positions?.[i];
        if (!p) return [Math.floor(h / 2), Math.floor(w / 2)];
        return [Math.min(h - 1, Math.max(0, Math.floor(p[0] * h))), Math.min(w - 1, Math.max(0, Math.floor(p[1] * w)))];
      };
      const units = tf.concat(
        Array.from({ length: b }, (_, i) => a.slice([i, ...at(i), 0], [1, 1, 1, c])),
        0,
      ) as tf.Tensor4D;
      const picked = targets.map((t) => position(ctx, layer, t));
      return tf.sum(tf.mul(units, selector(picked, c)), [1, 2, 3]) as tf.Tensor1D;
    },
  };
}

/** DeepDream: mean of squared activations over the whole layer. */
export function layerDream(layer: string, batch: number): Objective {
  return {
    layers: [layer],
    label: `layer ${layer} (x${batch})`,
    score: ({ acts }) => {
      const a = acts.get(layer)!;
      return tf.mean(tf.square(a.reshape([a.shape[0], -1])), 1) as tf.Tensor1D;
    },
  };
}

/** Pre-softmax score of class targets[i] (output index), for item i. */
export function logit(layer: string, targets: number[]): Objective {
  return {
    layers: [layer],
    label: `logit ${layer}:${targets.join(',')}`,
    score: ({ acts }) => {
      const a = acts.get(layer)!;
      const flat = a.reshape([a.shape[0], -1]) as tf.Tensor2D;
      const onehot = tf.oneHot(tf.tensor1d(targets, 'int32'), flat.shape[1]);
      return tf.sum(tf.mul(flat, onehot), 1) as tf.Tensor1D;
    },
  };
}

/**
 * Diversity among the variants of one target (Lucid's term, used as Lucid uses it: a batch of variants of one
 * channel): the negative mean cosine similarity between the Gram matrices at `layer` of the items that share a group,
 * each item of a group of n receiving 1/n of its group's value. `groups` gives each batch item's group (all one group
 * when absent); an item alone in its group gets 0, so an image does not depend on the other channels that happen to
 * share its batch.
 */
/** True when some two batch items share a group (`groups` as diversity takes them): the diversity term is not zero. */
export const hasPairs = (groups: number[]): boolean => groups.some((g, i) => groups.indexOf(g) !== i);

export function diversity(layer: string, groups?: number[]): Objective {
  return {
    layers: [layer],
    label: `diversity ${layer}`,
    score: ({ acts }) => {
      const a = as4d(acts.get(layer)!);
      const [b, h, w, c] = a.shape;
      const g = groups ?? new Array<number>(b).fill(0);
      if (g.length !== b) throw new Error(`diversity: ${g.length} groups for a batch of ${b}`);
      if (!hasPairs(g)) return tf.zeros([b]) as tf.Tensor1D;
      const size = g.map((x) => g.filter((y) => y === x).length);
      // same[i][j]: i and j share a group; coef[i] = 1 / (n² (n − 1)) for a group of n ≥ 2, else 0.
      const same = tf.tensor2d(
        g.flatMap((x) => g.map((y) => (x === y ? 1 : 0))),
        [b, b],
      );
      const coef = tf.tensor1d(size.map((n) => (n > 1 ? 1 / (n * n * (n - 1)) : 0)));
      const flat = a.reshape([b, h * w, c]) as tf.Tensor3D;
      const grams = tf.matMul(flat, flat, true, false).reshape([b, c * c]) as tf.Tensor2D;
      const unit = tf.div(grams, tf.add(tf.norm(grams, 2, 1, true), 1e-8));
      const sim = tf.matMul(unit, unit, false, true); // [b, b]
      // Per item: the sum of its similarities to the others of its group; per group: the sum of those.
      const rows = tf.sum(tf.mul(sim, tf.sub(same, tf.eye(b))), 1, true); // [b, 1]
      const groupSums = tf.matMul(same, rows).reshape([b]);
      return tf.neg(tf.mul(groupSums, coef)) as tf.Tensor1D;
    },
  };
}

/** L1 distance of the image from a constant (Lucid: 0.5), summed per item. */
export function l1(constant = 0.5): Objective {
  return {
    layers: [],
    label: 'L1',
    score: ({ image }) => tf.sum(tf.abs(tf.sub(image, constant)), [1, 2, 3]) as tf.Tensor1D,
  };
}

/** Total variation (sum of absolute differences between neighbouring pixels), per item. */
export function totalVariation(): Objective {
  return {
    layers: [],
    label: 'TV',
    score: ({ image }) => {
      const [b, h, w, c] = image.shape;
      const dy = tf.sub(image.slice([0, 1, 0, 0], [b, h - 1, w, c]), image.slice([0, 0, 0, 0], [b, h - 1, w, c]));
      const dx = tf.sub(image.slice([0, 0, 1, 0], [b, h, w - 1, c]), image.slice([0, 0, 0, 0], [b, h, w - 1, c]));
      return tf.add(tf.sum(tf.abs(dy), [1, 2, 3]), tf.sum(tf.abs(dx), [1, 2, 3])) as tf.Tensor1D;
    },
  };
}

/** Half the squared distance of the image from a (constant) 3×3 blur of itself, per item (Lucid's blur term). */
export function blur(): Objective {
  return {
    layers: [],
    label: 'blur',
    score: ({ image }) => {
      const [, , , c] = image.shape;
      const k = tf
        .tensor4d(
          [1, 2, 1, 2, 4, 2, 1, 2, 1].map((v) => v / 16),
          [3, 3, 1, 1],
        )
        .tile([1, 1, c, 1]);
      // The blurred copy is a constant target: no gradient flows through it.
      const constant: Parameters<typeof tf.customGrad>[0] = (x) => ({
        value: tf.depthwiseConv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'),
        gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
      });
      const blurred = tf.customGrad(constant)(image);
      return tf.mul(0.5, tf.sum(tf.square(tf.sub(image, blurred)), [1, 2, 3])) as tf.Tensor1D;
    },
  };
}

/**
 * Objectives that compose as Lucid's do (`a + b`, `a - b`, `2 * a`), typed: `compose(channel(…)).minus(channel(…))
 * .times(0.5)`. The result is itself an Objective.
 */
export class ObjectiveExpr implements Objective {
  readonly layers: string[];
  readonly channels?: Record<string, number[]>;
  readonly label: string;
  readonly score: Objective['score'];
  constructor(o: Objective) {
    this.layers = o.layers;
    if (o.channels) this.channels = o.channels;
    this.label = o.label;
    this.score = o.score;
  }
  plus(o: Objective): ObjectiveExpr {
    return new ObjectiveExpr(sum(this, o));
  }
  minus(o: Objective): ObjectiveExpr {
    return new ObjectiveExpr(sum(this, neg(o)));
  }
  times(k: number): ObjectiveExpr {
    return new ObjectiveExpr(scale(this, k));
  }
  negate(): ObjectiveExpr {
    return this.times(-1);
  }
}

export const compose = (o: Objective) => new ObjectiveExpr(o);

export function scale(o: Objective, k: number): Objective {
  return {
    layers: o.layers,
    ...(o.channels ? { channels: o.channels } : {}),
    label: `${k}·${o.label}`,
    score: (ctx) => tf.mul(o.score(ctx), k) as tf.Tensor1D,
  };
}

export function neg(o: Objective): Objective {
  return scale(o, -1);
}

/** The channels a sum reads: per layer, the union of its parts' channels, unless a part reads that layer whole. */
function unionOfChannels(os: Objective[]): Record<string, number[]> | undefined {
  const out: Record<string, number[]> = {};
  const whole = new Set<string>();
  for (const o of os)
    for (const layer of o.layers) {
      const part = o.channels?.[layer];
      if (!part) whole.add(layer);
      else out[layer] = distinct([...(out[layer] ?? []), ...part]);
    }
  for (const layer of whole) delete out[layer];
  return Object.keys(out).length ? out : undefined;
}

export function sum(...os: Objective[]): Objective {
  const channels = unionOfChannels(os);
  return {
    layers: [...new Set(os.flatMap((o) => o.layers))],
    ...(channels ? { channels } : {}),
    label: os.map((o) => o.label).join(' + '),
    score: (ctx) => os.map((o) => o.score(ctx)).reduce((a, b) => tf.add(a, b) as tf.Tensor1D),
  };
}
