/** A classifier's outputs as classes: which label an output index has, and probabilities from its scores. */
import * as tf from '@tensorflow/tfjs';

/**
 * Output index of labels[0]: the model's own statement when it makes one, else 1 when there is one output more than
 * there are labels (a background class at index 0, as TF-Hub's MobileNets have), else 0.
 */
export function labelOffset(classes: number, labels: string[] | null | undefined, declared?: number): number {
  return declared ?? (labels && classes === labels.length + 1 ? 1 : 0);
}

/**
 * Probabilities from class scores [n, classes] (call inside tf.tidy): scores that already sum to 1 are kept as they are.
 * Decided on the backend, with no read back (a synchronous read is unsafe on WebGPU: read-back.ts).
 */
export function probabilities(scores: tf.Tensor2D): tf.Tensor2D {
  const already = tf.cast(tf.all(tf.less(tf.abs(tf.sub(tf.sum(scores, 1), 1)), 1e-3)), 'float32');
  return tf.add(tf.mul(already, scores), tf.mul(tf.sub(1, already), tf.softmax(scores))) as tf.Tensor2D;
}
