/**
 * Adam for gradient *ascent* on the image parameters (Lucid and Lucent use Adam too), with an optional linear
 * learning-rate schedule. Its two moment tensors live as long as the optimizer; `dispose` releases them.
 */
import * as tf from '@tensorflow/tfjs';
import { adamStepKernel } from './kernels/adam-step.ts';

export interface AdamOptions {
  lr: number;
  /** Learning rate at the last step; the rate moves linearly from `lr` to it (null: constant `lr`). */
  lrEnd: number | null;
  steps: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class Adam {
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;

  constructor(
    like: tf.Tensor,
    private readonly o: AdamOptions,
  ) {
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    // tf.variable keeps its initial value alive, so the zeros are released right away.
    const zeros = tf.zerosLike(like);
    try {
      this.m = tf.variable(zeros, false);
      try {
        this.v = tf.variable(zeros, false);
      } catch (e) {
        this.m.dispose();
        throw e;
      }
    } finally {
      zeros.dispose();
    }
  }

  /** The learning rate at `step` (1-based). */
  rate(step: number): number {
    const { lr, lrEnd, steps } = this.o;
    return lrEnd == null || steps < 2 ? lr : lr + ((lrEnd - lr) * (step - 1)) / (steps - 1);
  }

  /** Moves `variable` up along `grad` (step counts from 1). Call inside tf.tidy. */
  ascend(variable: tf.Variable, grad: tf.Tensor, step: number): void {
    const { beta1, beta2, eps } = this;
    const lr = (this.rate(step) * Math.sqrt(1 - Math.pow(beta2, step))) / (1 - Math.pow(beta1, step));
    const fused = adamStepKernel(variable, grad, this.m, this.v, { beta1, beta2, eps, lr });
    if (fused) {
      this.m.assign(fused[1]);
      this.v.assign(fused[2]);
      variable.assign(fused[0]);
      return;
    }
    const mNew = tf.add(tf.mul(this.m, beta1), tf.mul(grad, 1 - beta1));
    const vNew = tf.add(tf.mul(this.v, beta2), tf.mul(tf.square(grad), 1 - beta2));
    this.m.assign(mNew);
    this.v.assign(vNew);
    variable.assign(tf.add(variable, tf.mul(tf.div(mNew, tf.add(tf.sqrt(vNew), eps)), lr)));
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}
