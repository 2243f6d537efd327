/**
 * Objectives: what the optimizer maximizes. Each objective names the layers it reads and maps their activations
 * (and the image) to one score per batch item, shape [b]. Objectives compose: `sum`, `scale` (and so negation),
 * which is how regularizers and diversity are added to a channel objective.
 */
import * as tf from '@tensorflow/tfjs';

export interface ObjectiveContext {
  /** Activations of the layers the objective asked for, [b, h, w, c] (or [b, k] for flat layers). */
  acts: Map<string, tf.Tensor>;
  /** The image being optimized, [b, h, w, 3] in [0,1], before transforms. */
  image: tf.Tensor4D;
}

export interface Objective {
  layers: string[];
  /** Per-item score, shape [b]. */
  score(ctx: ObjectiveContext): tf.Tensor1D;
  /** Short description for manifests and the UI. */
  label: string;
}

export type ObjectiveKind = 'channel' | 'neuron' | 'layer' | 'logit';

function as4d(t: tf.Tensor): tf.Tensor4D {
  return (t.rank === 4 ? t : t.reshape([t.shape[0], 1, 1, -1])) as tf.Tensor4D;
}

/** One-hot selector [b, 1, 1, C] picking channel targets[i] for item i. */
function selector(targets: number[], channels: number): tf.Tensor4D {
  return tf.oneHot(tf.tensor1d(targets, 'int32'), channels).reshape([targets.length, 1, 1, channels]) as tf.Tensor4D;
}

/** Mean over space of channel targets[i] at `layer`, for item i. */
export function channel(layer: string, targets: number[]): Objective {
  return {
    layers: [layer],
    label: `channel ${layer}:${targets.join(',')}`,
    score: ({ acts }) => {
      const a = as4d(acts.get(layer)!);
      return tf.mean(tf.sum(tf.mul(a, selector(targets, a.shape[3])), 3), [1, 2]) as tf.Tensor1D;
    },
  };
}

/** Channel targets[i] at the centre position of `layer`, for item i. */
export function neuron(layer: string, targets: number[]): Objective {
  return {
    layers: [layer],
    label: `neuron ${layer}:${targets.join(',')}`,
    score: ({ acts }) => {
      const a = as4d(acts.get(layer)!);
      const [b, h, w, c] = a.shape;
      const centre = a.slice([0, Math.floor(h / 2), Math.floor(w / 2), 0], [b, 1, 1, c]) as tf.Tensor4D;
      return tf.sum(tf.mul(centre, selector(targets, c)), [1, 2, 3]) as tf.Tensor1D;
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
 * Diversity across the batch (Lucid): the negative mean cosine similarity between the items' Gram matrices at
 * `layer`. Every item receives the same batch-wide value, divided by the batch size so that the sum over items is
 * the batch-wide term.
 */
export function diversity(layer: string): Objective {
  return {
    layers: [layer],
    label: `diversity ${layer}`,
    score: ({ acts }) => {
      const a = as4d(acts.get(layer)!);
      const [b, h, w, c] = a.shape;
      if (b < 2) return tf.zeros([b]) as tf.Tensor1D;
      const flat = a.reshape([b, h * w, c]) as tf.Tensor3D;
      const grams = tf.matMul(flat, flat, true, false).reshape([b, c * c]) as tf.Tensor2D;
      const unit = tf.div(grams, tf.add(tf.norm(grams, 2, 1, true), 1e-8));
      const sim = tf.matMul(unit, unit, false, true); // [b, b]
      const offDiag = tf.sub(tf.sum(sim), tf.sum(tf.mul(sim, tf.eye(b))));
      const meanSim = tf.div(offDiag, b * (b - 1));
      return tf.fill([b], 0).add(tf.div(tf.neg(meanSim), b)) as tf.Tensor1D;
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

export function scale(o: Objective, k: number): Objective {
  return { layers: o.layers, label: `${k}·${o.label}`, score: (ctx) => tf.mul(o.score(ctx), k) as tf.Tensor1D };
}

export function neg(o: Objective): Objective {
  return scale(o, -1);
}

export function sum(...os: Objective[]): Objective {
  return {
    layers: [...new Set(os.flatMap((o) => o.layers))],
    label: os.map((o) => o.label).join(' + '),
    score: (ctx) => os.map((o) => o.score(ctx)).reduce((a, b) => tf.add(a, b) as tf.Tensor1D),
  };
}
