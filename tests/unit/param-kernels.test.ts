import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/lib/node/backend.ts';
import { fftFactors, heightFft, heightFftAvailable } from '../../src/lib/engine/kernels/height-fft.ts';
import { createParam, idftMatrices } from '../../src/lib/engine/param.ts';
import { widthFft, widthFftAvailable, widthFftSize } from '../../src/lib/engine/kernels/width-fft.ts';
import { planesToPixelsAvailable } from '../../src/lib/engine/kernels/planes-to-pixels.ts';

/** The dense form the kernel replaces: the inverse-DFT matrix (times h), then the transpose into rows. */
function dense(x: tf.Tensor2D, h: number, n: number, wHalf: number): tf.Tensor2D {
  const m = tf.tensor2d(
    idftMatrices(h, h).m1.map((v) => v * h),
    [2 * h, 2 * h],
  );
  return tf
    .matMul(m, x)
    .reshape([2, h, n, wHalf])
    .transpose([2, 1, 0, 3])
    .reshape([n * h, 2 * wHalf]) as tf.Tensor2D;
}

function relErrArrays(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / scale;
}

const relErr = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0];

describe("the Fourier parameterization's kernels (height FFT, colour planes to pixels)", () => {
  afterAll(async () => {
    await useBackend(['cpu']);
  });

  it('factors every render size the studio offers, and declines what it cannot do', () => {
    expect([64, 96, 128, 160, 224, 28].map(fftFactors)).toEqual([
      { m: 1, l: 64 },
      { m: 3, l: 32 },
      { m: 1, l: 128 },
      { m: 5, l: 32 },
      { m: 7, l: 32 },
      { m: 7, l: 4 },
    ]);
    expect(fftFactors(99)).toBeNull(); // odd: no radix-2 part
    expect(fftFactors(2 * 11)).toBeNull(); // odd part above 7
  });

  it('equals the dense inverse DFT, and its gradient the dense adjoint, on wasm (SIMD) and cpu', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await useBackend([backend]);
      const before = tf.memory().numTensors;
      // 128 px at batch 8 (n = 24 planes), then the other sizes with odd column counts (SIMD tails) and m = 3, 5, 7.
      for (const [h, n, wHalf] of [
        [128, 24, 65],
        [96, 3, 49],
        [160, 2, 81],
        [224, 3, 113],
        [28, 1, 15],
        [4, 1, 1],
      ]) {
        expect(heightFftAvailable(h), `${backend} ${h}`).toBe(true);
        tf.tidy(() => {
          const x = tf.randomNormal([2 * h, n * wHalf], 0, 1, 'float32', h) as tf.Tensor2D;
          const dy = tf.randomNormal([n * h, 2 * wHalf], 0, 1, 'float32', h + 1);
          const shape = { h, n, wHalf };
          expect(relErr(heightFft(x, shape), dense(x, h, n, wHalf)), `${backend} ${h} forward`).toBeLessThan(5e-6);
          const viaFft = tf.grad((v) => tf.sum(tf.mul(heightFft(v as tf.Tensor2D, shape), dy)))(x);
          const viaDense = tf.grad((v) => tf.sum(tf.mul(dense(v as tf.Tensor2D, h, n, wHalf), dy)))(x);
          expect(relErr(viaFft, viaDense), `${backend} ${h} adjoint`).toBeLessThan(5e-6);
        });
      }
      expect(tf.memory().numTensors, `${backend}: no tensor left behind`).toBe(before);
    }
  });

  it('the width FFT equals the dense inverse real DFT (M2), and its gradient the dense adjoint, on wasm and cpu', async () => {
    expect([4, 64, 128, 256].every(widthFftSize)).toBe(true);
    expect([2, 96, 160, 224, 27].some(widthFftSize)).toBe(false);
    for (const backend of ['wasm', 'cpu'] as const) {
      await useBackend([backend]);
      const before = tf.memory().numTensors;
      // 128 px at batch 8 (3072 rows: six tiles) and batch 1, a last tile of 88 rows at 64 px, 256 px, the smallest.
      for (const [rows, w] of [
        [3072, 128],
        [384, 128],
        [600, 64],
        [100, 256],
        [3, 4],
      ]) {
        expect(widthFftAvailable(w), `${backend} ${w}`).toBe(true);
        const wHalf = w / 2 + 1;
        tf.tidy(() => {
          const m2 = tf.tensor2d(idftMatrices(4, w).m2, [2 * wHalf, w]);
          const x = tf.randomNormal([rows, 2 * wHalf], 0, 1, 'float32', w) as tf.Tensor2D;
          const dy = tf.randomNormal([rows, w], 0, 1, 'float32', w + 1);
          const shape = { rows, w };
          expect(relErr(widthFft(x, shape), tf.matMul(x, m2)), `${backend} ${rows}×${w} forward`).toBeLessThan(5e-6);
          const viaFft = tf.grad((v) => tf.sum(tf.mul(widthFft(v as tf.Tensor2D, shape), dy)))(x);
          const viaDense = tf.grad((v) => tf.sum(tf.mul(tf.matMul(v as tf.Tensor2D, m2), dy)))(x);
          expect(relErr(viaFft, viaDense), `${backend} ${rows}×${w} adjoint`).toBeLessThan(5e-6);
        });
      }
      expect(tf.memory().numTensors, `${backend}: no tensor left behind`).toBe(before);
    }
  });

  it('the parameterization gives the same images and gradients on wasm (FFT and colour kernels) and cpu', async () => {
    // 128 px (radix 2), 96 px (m = 3), 27 px (no FFT: the matrix; 729 pixels, a scalar tail in the colour kernel).
    for (const size of [128, 96, 27]) {
      const results: { image: Float32Array; grad: Float32Array }[] = [];
      for (const backend of ['wasm', 'cpu'] as const) {
        await useBackend([backend]);
        if (backend === 'wasm') expect(planesToPixelsAvailable(), 'colour kernel bound').toBe(true);
        const p = createParam({ kind: 'fourier', height: size, width: size, seeds: [3, 4] });
        const y = tf.randomNormal([2, size, size, 3], 0, 1, 'float32', 5);
        results.push(
          tf.tidy(() => ({
            image: p.toImage(p.variable).dataSync() as Float32Array,
            grad: tf
              .grad((v) => tf.sum(tf.mul(p.toImage(v), y)))(p.variable)
              .dataSync() as Float32Array,
          })),
        );
        y.dispose();
        p.dispose();
      }
      const [wasm, cpu] = results;
      expect(relErrArrays(wasm.image, cpu.image), `${size} px image`).toBeLessThan(1e-5);
      expect(relErrArrays(wasm.grad, cpu.grad), `${size} px gradient`).toBeLessThan(1e-4);
    }
  });
});
