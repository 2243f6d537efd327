import { describe, expect, it } from 'vitest';
import { estimateStepMs } from '../../src/lib/step-cost.ts';

// MobileNet v1 α0.75 at 128 px, batch 4 (step-cost.ts): depth in the model's layer list → ms per step.
const MEASURED = { 1: 10.06, 19: 16.0, 31: 21.58, 55: 34.06, 79: 38.95 } as Record<number, number>;
const MAX_DEPTH = 81;

describe('the step cost of a layer not rendered yet', () => {
  it('is unknown with nothing measured', () => {
    expect(estimateStepMs([], 10, MAX_DEPTH)).toBeNull();
  });

  it('from one shallow layer: within 2× of the deepest layer’s real cost (proportional to depth was 20× off)', () => {
    const est = estimateStepMs([{ depth: 1, ms: MEASURED[1] }], 79, MAX_DEPTH)!;
    expect(est / MEASURED[79]).toBeGreaterThan(0.5);
    expect(est / MEASURED[79]).toBeLessThan(2);
    // The old rule: 10.06 × 80 / 2 ≈ 400 ms.
    expect((MEASURED[1] * 80) / 2 / MEASURED[79]).toBeGreaterThan(10);
  });

  it('from two depths: a straight line, within 25 % at every measured layer', () => {
    const points = [1, 31].map((d) => ({ depth: d, ms: MEASURED[d] }));
    for (const d of [19, 55, 79]) {
      const est = estimateStepMs(points, d, MAX_DEPTH)!;
      expect(Math.abs(est / MEASURED[d] - 1)).toBeLessThan(0.25);
    }
  });

  it('two nearby shallow layers, one slow from warm-up, do not set a steep slope for the whole network', () => {
    const warm = [
      { depth: 1, ms: 31 },
      { depth: 3, ms: 40 },
    ];
    // Their own slope (4.5 ms per layer) would put the deepest layer at ~390 ms.
    const est = estimateStepMs(warm, 79, MAX_DEPTH)!;
    expect(est).toBeGreaterThan(40);
    expect(est).toBeLessThan(2.5 * 40);
  });

  it('never falls with depth, and never below half of the cheapest layer measured', () => {
    const noisy = [
      { depth: 10, ms: 12 },
      { depth: 20, ms: 9 },
    ];
    expect(estimateStepMs(noisy, 70, MAX_DEPTH)!).toBeGreaterThanOrEqual(10.5);
    expect(estimateStepMs([{ depth: 40, ms: 8 }], 0, MAX_DEPTH)!).toBeGreaterThanOrEqual(4);
  });
});
