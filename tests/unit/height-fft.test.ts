import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/lib/node/backend.ts';
import { fftFactors, heightFft, heightFftAvailable } from '../../src/lib/engine/kernels/height-fft.ts';
import { createParam, idftMatrices } from '../../src/lib/engine/param.ts';

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

const relErr = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0];

describe('the height FFT of the Fourier parameterization', () => {
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

  it('the parameterization gives the same images on wasm and cpu (seeded, 128 px, batch 2)', async () => {
    const images: Float32Array[] = [];
    for (const backend of ['wasm', 'cpu'] as const) {
      await useBackend([backend]);
      const p = createParam({ kind: 'fourier', height: 128, width: 128, seeds: [3, 4] });
      images.push(tf.tidy(() => p.toImage(p.variable).dataSync() as Float32Array));
      p.dispose();
    }
    let worst = 0;
    for (let i = 0; i < images[0].length; i++) worst = Math.max(worst, Math.abs(images[0][i] - images[1][i]));
    expect(worst).toBeLessThan(1e-5);
  });
});
