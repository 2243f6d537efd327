/**
 * What both translators (Keras layers, TF graph) share: one table of activations and one batch-norm fold. A graph op
 * name maps onto the same activation a Keras config names.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError } from './errors.ts';
import { clippedRelu } from './ops.ts';

/** An activation; `redirect` swaps ReLU gradients for the redirected ones during the first steps (ops.ts). */
export type Activate = (x: tf.Tensor, redirect: boolean) => tf.Tensor;

/** Activations by their Keras name; null for linear. */
export const ACTIVATIONS: Record<string, Activate | null> = {
  linear: null,
  relu: (x, r) => clippedRelu(x, Infinity, r),
  relu6: (x, r) => clippedRelu(x, 6, r),
  sigmoid: (x) => tf.sigmoid(x),
  hard_sigmoid: (x) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1),
  tanh: (x) => tf.tanh(x),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  softplus: (x) => tf.softplus(x),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
  silu: (x) => tf.mul(x, tf.sigmoid(x)),
  softmax: (x) => tf.softmax(x),
};

/** Graph ops that are activations, by the Keras name they share. */
export const GRAPH_ACTIVATIONS: Record<string, string> = {
  Relu: 'relu',
  Relu6: 'relu6',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Elu: 'elu',
  Softmax: 'softmax',
};

export const leakyRelu =
  (alpha: number): Activate =>
  (x) =>
    tf.leakyRelu(x, alpha);

/** The activation a config names; `where` starts the error for an unknown one ("layer c1"). */
export function activation(name: string | undefined | null, where: string): Activate | null {
  const key = name ?? 'linear';
  if (!Object.hasOwn(ACTIVATIONS, key)) throw new EngineError(`${where}: activation "${key}" is not supported`);
  return ACTIVATIONS[key];
}

export interface BatchNormStats {
  gamma?: tf.Tensor;
  beta?: tf.Tensor;
  mean: tf.Tensor;
  variance: tf.Tensor;
  epsilon: number;
}

/**
 * Inference batch norm as one scale and one shift per channel: y = x·scale + shift, with scale = γ/√(σ²+ε) and
 * shift = β − μ·scale. A bias before it (a conv's) folds in as (bias − μ)·scale + β. New tensors: the caller keeps them.
 */
export function batchNormScaleShift(s: BatchNormStats, bias?: tf.Tensor): { scale: tf.Tensor; shift: tf.Tensor } {
  return tf.tidy(() => {
    const scale = tf.div(s.gamma ?? tf.onesLike(s.mean), tf.sqrt(tf.add(s.variance, s.epsilon)));
    const shift = tf.add(tf.mul(tf.sub(bias ?? tf.zerosLike(s.mean), s.mean), scale), s.beta ?? tf.zerosLike(s.mean));
    return { scale, shift };
  });
}
