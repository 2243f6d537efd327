import { describe, expect, it } from 'vitest';
import { neverMoved } from '../../src/lib/studio/flat.ts';

describe('a render whose objective never moved', () => {
  it('is flat only when every recorded value is the same', () => {
    const curve = (vs: number[]) => vs.map((value, i) => ({ step: i * 8, value }));
    expect(neverMoved(curve([-0.38, -0.38, -0.38]))).toBe(true);
    expect(neverMoved(curve([-2e-5, -1e-5, -1e-7]))).toBe(false); // stuck near 0, but it moved
    expect(neverMoved(curve([1, 2, 3]))).toBe(false);
    expect(neverMoved(curve([5]))).toBe(false); // one point says nothing
  });
});
