/** The convolution playground's arithmetic (src/lib/engine/convolution.ts) on images whose answers are known. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { convolve } from '../../src/lib/engine/convolution.ts';
import { KERNEL_PRESETS } from '../../src/lib/engine/kernel-presets.ts';
import { model, SMALL } from './helpers.ts';

/** A 6×6 luminance image: columns 0–2 black, 3–5 white (a vertical edge). */
const edge = () =>
  tf.tensor4d(
    Array.from({ length: 36 }, (_, i) => (i % 6 >= 3 ? 1 : 0)),
    [1, 6, 6, 1],
  );
const at = (r: { width: number; values: Float32Array }, y: number, x: number) => r.values[y * r.width + x];

describe('the convolution playground', () => {
  it('Sobel x finds the vertical edge: 4 on the two columns beside it, 0 in the flat parts; Sobel y finds nothing', async () => {
    await model(SMALL); // the backend
    const img = edge();
    const gx = await convolve(img, { kernel: [...KERNEL_PRESETS['Sobel x']], stride: 1, padding: 'valid' });
    expect([gx.width, gx.height]).toEqual([4, 4]);
    // Valid output column c covers input columns c..c+2: the edge (between 2 and 3) lies under columns 1 and 2.
    for (let y = 0; y < 4; y++) expect([0, 1, 2, 3].map((x) => at(gx, y, x))).toEqual([0, 4, 4, 0]);
    expect(gx.formula).toBe('⌊(6 + 0 + 0 − 3) / 1⌋ + 1 = 4');
    const gy = await convolve(img, { kernel: [...KERNEL_PRESETS['Sobel y']], stride: 1, padding: 'valid' });
    expect(Math.max(...gy.values.map(Math.abs))).toBe(0);
    const mag = await convolve(img, { kernel: 'magnitude', stride: 1, padding: 'valid' });
    expect(at(mag, 0, 1)).toBeCloseTo(4);
    img.dispose();
  });

  it("pads 'same' with one pixel each side at stride 1, and stride 2 halves the output (rounded up)", async () => {
    await model(SMALL);
    const img = edge();
    const same = await convolve(img, { kernel: [...KERNEL_PRESETS.identity], stride: 1, padding: 'same' });
    expect([same.width, same.height, same.padTop, same.padLeft]).toEqual([6, 6, 1, 1]);
    expect(Array.from(same.values)).toEqual(Array.from(img.dataSync())); // identity gives the image back
    const s2 = await convolve(img, { kernel: [...KERNEL_PRESETS['box blur']], stride: 2, padding: 'same' });
    expect([s2.width, s2.height]).toEqual([3, 3]);
    expect(s2.formula).toBe('⌊(6 + 0 + 1 − 3) / 2⌋ + 1 = 3');
    await expect(convolve(img, { kernel: [1, 2, 3], stride: 1, padding: 'same' })).rejects.toThrow(/nine numbers/);
    img.dispose();
  });
});
