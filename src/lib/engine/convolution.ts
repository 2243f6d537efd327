/**
 * The convolution playground's arithmetic: a photo's luminance convolved with a 3×3 kernel a person edits, with the
 * stride and padding they pick, and the hand-made kernels of the founding text (box blur, sharpen, Sobel). The edge
 * magnitude is √(Sobel x² + Sobel y²), two convolutions rather than one kernel. DOM-free: the worker runs it.
 */
import * as tf from '@tensorflow/tfjs';
import { outputSize, samePadding } from './layer-anatomy.ts';
import { readBack } from './read-back.ts';

import { KERNEL_PRESETS } from './kernel-presets.ts';

export interface ConvolveRequest {
  /** Nine weights, row by row, or 'magnitude' for √(Sobel x² + Sobel y²). */
  kernel: number[] | 'magnitude';
  stride: number;
  padding: 'same' | 'valid';
}

export interface Convolved {
  width: number;
  height: number;
  values: Float32Array;
  /** Pixels added before the first row and column (TensorFlow's 'same': the odd one goes after). */
  padTop: number;
  padLeft: number;
  formula: string;
}

/** Luminance of an RGB batch [1, h, w, 3] in [0,1]: [1, h, w, 1]. */
export function luminance(image: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sum(tf.mul(image, tf.tensor1d([0.299, 0.587, 0.114])), 3, true) as tf.Tensor4D);
}

function conv3(gray: tf.Tensor4D, weights: readonly number[], stride: number, padding: 'same' | 'valid'): tf.Tensor4D {
  const k = tf.tensor4d(Array.from(weights), [3, 3, 1, 1]);
  return tf.conv2d(gray, k, stride, padding);
}

/** Convolves a luminance image [1, h, w, 1] as asked; the result's size follows the output-size formula. */
export async function convolve(gray: tf.Tensor4D, r: ConvolveRequest): Promise<Convolved> {
  if (!(Number.isInteger(r.stride) && r.stride >= 1 && r.stride <= 8)) throw new Error(`stride ${r.stride} is not 1–8`);
  if (r.kernel !== 'magnitude' && (r.kernel.length !== 9 || r.kernel.some((v) => !Number.isFinite(v))))
    throw new Error('the kernel needs nine numbers');
  const out = tf.tidy(() => {
    if (r.kernel !== 'magnitude') return conv3(gray, r.kernel, r.stride, r.padding);
    const gx = conv3(gray, KERNEL_PRESETS['Sobel x'], r.stride, r.padding);
    const gy = conv3(gray, KERNEL_PRESETS['Sobel y'], r.stride, r.padding);
    return tf.sqrt(tf.add(tf.square(gx), tf.square(gy))) as tf.Tensor4D;
  });
  const [, height, width] = out.shape;
  const values = (await readBack(out).finally(() => out.dispose())) as Float32Array;
  const side = gray.shape[1];
  const [top, bottom] = r.padding === 'same' ? samePadding(side, height, 3, r.stride) : [0, 0];
  const [left] = r.padding === 'same' ? samePadding(gray.shape[2], width, 3, r.stride) : [0, 0];
  const check = outputSize(side, top, bottom, 3, r.stride);
  return {
    width,
    height,
    values,
    padTop: top,
    padLeft: left,
    formula: `⌊(${side} + ${top} + ${bottom} − 3) / ${r.stride}⌋ + 1 = ${check}`,
  };
}
