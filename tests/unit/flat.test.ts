import { describe, expect, it } from 'vitest';
import { neverMoved } from '../../src/lib/studio/flat.ts';

describe('a render whose objective never moved', () => {
  it('is flat when the recorded values stay within 0.1 % of their size', () => {
    const curve = (vs: number[]) => vs.map((value, i) => ({ step: i * 8, value }));
    expect(neverMoved(curve([-0.38, -0.38, -0.38]))).toBe(true);
    expect(neverMoved(curve([0, 0, 0]))).toBe(true); // a dead ReLU output
    // MobileNet v1 α0.75 conv1_bn channel 2 (a filter of near-zero weights) over 64 steps: it moved, by 2e-5 of 0.29.
    expect(neverMoved(curve([-0.285452, -0.28545, -0.285441, -0.285432, -0.285429]))).toBe(true);
    expect(neverMoved(curve([-2e-5, -1e-5, -1e-7]))).toBe(false); // stuck near 0, but it moved by all of itself
    expect(neverMoved(curve([70.06, 70.2, 71]))).toBe(false); // a large value that moved by 1 %
    expect(neverMoved(curve([1, 2, 3]))).toBe(false);
    expect(neverMoved(curve([5]))).toBe(false); // one point says nothing
  });
});
