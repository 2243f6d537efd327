/** A classifier's outputs as classes: which label an output index has, and probabilities from its scores. */
import * as tf from '@tensorflow/tfjs';

/**
 * Output index of labels[0]: the model's own statement when it makes one, else 1 when there is one output more than
 * there are labels (a background class at index 0, as TF-Hub's MobileNets have), else 0.
 */
export function labelOffset(classes: number, labels: string[] | null | undefined, declared?: number): number {
  return declared ?? (labels && classes === labels.length + 1 ? 1 : 0);
}

/** Probabilities from class scores [n, classes] (call inside tf.tidy): scores that already sum to 1 are kept as they are. */
export function probabilities(scores: tf.Tensor2D): tf.Tensor2D {
  const sums = tf.sum(scores, 1).dataSync();
  return Array.from(sums).every((x) => Math.abs(x - 1) < 1e-3) ? scores : tf.softmax(scores);
}
