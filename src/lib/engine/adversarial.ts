/**
 * Adversarial examples: a change to a photo too small to see that changes what the network says it is. Untargeted,
 * the fast gradient sign method (FGSM, one step of ε) or its iterated form (PGD: steps of size α, each projected back
 * into ε of the original) pushes the score of the photo's own top class down; targeted, it pulls a chosen class up.
 * The result is rounded to 8-bit pixels within ε of the original's 8-bit pixels (ε in 0–255 units), and every step
 * checks that rounded image, so what is reported is what a saved PNG gives. DOM-free: runs in the worker and in Node.
 */
import { disposeFailedGradientTape } from './failed-gradient.ts';
import * as tf from '@tensorflow/tfjs';
import { readBack } from './read-back.ts';
import { labelOffset, probabilities } from './classes.ts';
import { EngineError } from './errors.ts';
import { rgbBytes } from './image-ops.ts';
import type { FeatureModel } from './model.ts';

export interface Prediction {
  /** Index in the model's class-score output. */
  index: number;
  label: string;
  probability: number;
}

export interface AttackOptions {
  /** Largest change of any pixel value, in 0–255 units. */
  epsilon: number;
  /** 1: FGSM; more: PGD, stopping early once the rounded image is misclassified (or reaches the target). */
  steps: number;
  /** A class to reach (targeted attack); null: away from the photo's own top class. */
  target: number | null;
  /** Step size in 0–255 units (default: ε for FGSM, max(2.5·ε / steps, 1) for PGD). */
  stepSize?: number;
}

export interface AttackResult {
  method: 'fgsm' | 'pgd';
  /** 8-bit RGB of the original (as the network sees it) and of the adversarial image, row-major, 3 bytes a pixel. */
  original: Uint8Array;
  adversarial: Uint8Array;
  width: number;
  height: number;
  before: Prediction[];
  after: Prediction[];
  /** Largest |adversarial − original| over all pixel values, 0–255 units. */
  linf: number;
  /** Steps taken (PGD stops early once it succeeds). */
  steps: number;
  /** Untargeted: the top class changed; targeted: the target is the top class. */
  success: boolean;
}

/** The model's class-score layer, or a clear error for a model without one. */
export function classScoreLayer(m: FeatureModel): string {
  const l = m.logitsLayer;
  // A network whose output is a feature map (its last conv) has no class scores, whatever its output is called.
  if (!l || l.shape[0] !== 1 || l.shape[1] !== 1)
    throw new EngineError(`model ${m.info.id} has no class scores (no logits layer): adversarial examples need a classifier`);
  return l.name;
}

function labelOf(m: FeatureModel, index: number): string {
  const labels = m.info.labels;
  const offset = labelOffset(m.logitsLayer!.shape[2], labels, m.info.labelOffset);
  return labels?.[index - offset] ?? (index < offset ? 'background' : `class ${index}`);
}

function logitsOf(m: FeatureModel, layer: string, image: tf.Tensor4D): tf.Tensor2D {
  const out = m.forward(image, [layer]).get(layer)!;
  return out.reshape([out.shape[0], -1]) as tf.Tensor2D;
}

/**
 * The top-k classes of an image [1, h, w, 3] in [0,1] at the model's input size, read back the way the backend
 * allows (asynchronously on WebGPU: read-back.ts).
 */
export async function classify(m: FeatureModel, image: tf.Tensor4D, k = 5): Promise<Prediction[]> {
  const layer = classScoreLayer(m);
  const probs = tf.tidy(() => probabilities(logitsOf(m, layer, image)));
  try {
    return topOf(m, await readBack(probs), k);
  } finally {
    probs.dispose();
  }
}

function topOf(m: FeatureModel, probs: ArrayLike<number>, k: number): Prediction[] {
  return Array.from({ length: probs.length }, (_, i) => i)
    .sort((a, b) => probs[b] - probs[a])
    .slice(0, k)
    .map((index) => ({ index, label: labelOf(m, index), probability: probs[index] }));
}

/**
 * Runs the attack on `photo` (the network's view: [1, h, w, 3] in [0,1] at its input size; rounded to 8 bits first,
 * as a saved PNG would be).
 */
export async function attack(m: FeatureModel, photo: tf.Tensor4D, o: AttackOptions): Promise<AttackResult> {
  if (!(o.epsilon >= 0 && o.epsilon <= 255)) throw new EngineError(`epsilon ${o.epsilon} is outside 0–255`);
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new EngineError(`steps ${o.steps} is not a positive integer`);
  const layer = classScoreLayer(m);
  const classes = m.logitsLayer!.shape[2];
  if (o.target !== null && !(Number.isInteger(o.target) && o.target >= 0 && o.target < classes))
    throw new EngineError(`target class ${o.target} is outside 0–${classes - 1}`);
  const [, height, width] = photo.shape;
  const bound = Math.floor(o.epsilon); // 8-bit values differ by whole units
  const original = tf.tidy(() => tf.div(tf.round(tf.mul(tf.clipByValue(photo, 0, 1), 255)), 255)) as tf.Tensor4D;
  const lo = tf.tidy(() => tf.clipByValue(tf.sub(original, bound / 255), 0, 1));
  const hi = tf.tidy(() => tf.clipByValue(tf.add(original, bound / 255), 0, 1));
  let x = original.clone();
  try {
    const before = await classify(m, original);
    const own = before[0].index;
    const goal = o.target ?? own;
    const alpha = (o.stepSize ?? (o.steps === 1 ? o.epsilon : Math.max((2.5 * o.epsilon) / o.steps, 1))) / 255;
    // Untargeted: climb the loss of the photo's own class; targeted: descend the loss of the target.
    const direction = o.target === null ? 1 : -1;
    const lossOf = (x: tf.Tensor4D) =>
      tf.neg(tf.sum(tf.mul(tf.logSoftmax(logitsOf(m, layer, x)), tf.oneHot([goal], classes)))) as tf.Scalar;
    const grad = tf.grad((x: tf.Tensor) => lossOf(x as tf.Tensor4D));
    /** The 8-bit image a PNG of `x` holds, kept within ε of the original. */
    const rounded = (x: tf.Tensor4D) =>
      tf.tidy(() =>
        tf
          .clipByValue(tf.div(tf.round(tf.mul(x, 255)), 255), 0, 1)
          .maximum(lo)
          .minimum(hi),
      ) as tf.Tensor4D;
    const reached = async (r: tf.Tensor4D) => {
      const top = (await classify(m, r, 1))[0].index;
      return o.target === null ? top !== own : top === o.target;
    };

    let steps = 0;
    for (let i = 0; i < o.steps && bound > 0; i++) {
      const next = tf.tidy(() => {
        const g = grad(x);
        const moved = tf.add(x, tf.mul(tf.sign(g), direction * alpha));
        return tf.minimum(tf.maximum(moved, lo), hi) as tf.Tensor4D;
      });
      x.dispose();
      x = next;
      steps = i + 1;
      const r = rounded(x);
      const done = await reached(r).finally(() => r.dispose());
      if (done) break;
    }
    const finalImage = rounded(x);
    const [after, adversarial, originalBytes] = await Promise.all([
      classify(m, finalImage),
      rgbBytes(finalImage),
      rgbBytes(original),
    ]).finally(() => finalImage.dispose());
    let linf = 0;
    for (let i = 0; i < adversarial.length; i++) linf = Math.max(linf, Math.abs(adversarial[i] - originalBytes[i]));
    return {
      method: o.steps === 1 ? 'fgsm' : 'pgd',
      original: originalBytes,
      adversarial,
      width,
      height,
      before,
      after,
      linf,
      steps,
      success: o.target === null ? after[0].index !== own : after[0].index === o.target,
    };
  } finally {
    x.dispose();
    original.dispose();
    lo.dispose();
    hi.dispose();
    // A gradient that threw left its tape (failed-gradient.ts); after one that finished this does nothing.
    disposeFailedGradientTape();
  }
}
