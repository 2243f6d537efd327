/**
 * Activation and matrix ops whose gradients are taken with respect to the input only (the convolutions are in
 * conv-ops.ts). ReLU / ReLU6 optionally redirect their gradient (as Lucid does in its first steps) so that units that
 * sit in the flat part of the activation still pull the image towards them.
 */
import * as tf from '@tensorflow/tfjs';
import { clippedReluGradKernel } from './kernels/clipped-relu-grad.ts';

type GradFunc = Parameters<typeof tf.customGrad>[0];

/**
 * ReLU (cap = Infinity) or ReLU6 (cap = 6) with a gradient built from arithmetic ops only (wasm's comparison, select
 * and broadcast kernels are several times slower than step/mul/sub).
 *
 * With `redirect`, an image whose ordinary gradient through this unit is all zero instead receives the upstream
 * gradient wherever it would move x back into the active range (Lucid's redirected ReLU). The gradient here is the
 * one of a quantity being maximized, so a positive value pushes x up: below 0 only positive values pass, above the
 * cap only negative ones.
 */
export function clippedRelu(x: tf.Tensor, cap: number, redirect: boolean): tf.Tensor {
  const finite = Number.isFinite(cap);
  const f: GradFunc = (...args) => {
    const input = args[0] as tf.Tensor;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const value = cap === 6 ? tf.relu6(input) : finite ? tf.clipByValue(input, 0, cap) : tf.relu(input);
    save([input]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => clippedReluGrad(saved[0], dy, cap, redirect);
    return { value, gradFunc };
  };
  return tf.customGrad(f)(x);
}

/**
 * dy masked by 0 < x <= cap (redirected when asked, see clippedRelu): one registered kernel on wasm and cpu
 * (kernels/clipped-relu-grad.ts), tfjs ops elsewhere.
 */
export function clippedReluGrad(xs: tf.Tensor, dy: tf.Tensor, cap: number, redirect: boolean): tf.Tensor {
  return clippedReluGradKernel(xs, dy, cap, redirect) ?? clippedReluGradOps(xs, dy, cap, redirect);
}

/**
 * The clipped-ReLU backward from tfjs ops: one mask, one product, and the redirect terms when asked (GPU backends;
 * the reference the wasm/cpu kernels are tested against).
 */
export function clippedReluGradOps(xs: tf.Tensor, dy: tf.Tensor, cap: number, redirect: boolean): tf.Tensor {
  const finite = Number.isFinite(cap);
  const above0 = tf.step(xs);
  const aboveCap = finite ? tf.step(tf.sub(xs, cap)) : null;
  const mask = aboveCap ? tf.sub(above0, aboveCap) : above0;
  const normal = tf.mul(dy, mask);
  if (!redirect) return normal;
  let redirected = tf.add(normal, tf.mul(tf.sub(1, above0), tf.relu(dy)));
  if (aboveCap) redirected = tf.sub(redirected, tf.mul(aboveCap, tf.relu(tf.neg(dy))));
  const axes = dy.shape.map((_, i) => i).slice(1);
  const alive = tf.step(tf.sum(tf.square(normal), axes, true));
  return tf.add(redirected, tf.mul(alive, tf.sub(normal, redirected)));
}

/**
 * x · W for a constant W whose transpose is given too: wasm's matMul with a transposed operand is about ten times
 * slower than a plain one, so the backward pass multiplies by the stored transpose instead.
 */
export function matMulConstRight(x: tf.Tensor2D, w: tf.Tensor2D, wT: tf.Tensor2D): tf.Tensor2D {
  const f: GradFunc = (input) => ({
    value: tf.matMul(input as tf.Tensor2D, w),
    gradFunc: (dy: tf.Tensor) => tf.matMul(dy as tf.Tensor2D, wT),
  });
  return tf.customGrad(f)(x) as tf.Tensor2D;
}

/** W · x for a constant W with its transpose given (see matMulConstRight). */
export function matMulConstLeft(w: tf.Tensor2D, wT: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
  const f: GradFunc = (input) => ({
    value: tf.matMul(w, input as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor) => tf.matMul(wT, dy as tf.Tensor2D),
  });
  return tf.customGrad(f)(x) as tf.Tensor2D;
}
