// A batch's start-up for the ETA, measured where it happens (workers/batch-timing.ts).
import { describe, expect, it } from 'vitest';
import { BatchTiming } from '../../workers/batch-timing.ts';

describe('batch timing', () => {
  it('splits a batch into steps at its steady cost plus set-up, first-snapshot warm-up and finish', () => {
    // Started at 1000; the first step starts 40 ms later; 2 ms a step, the first 16 steps 30 ms slower in all.
    const t = new BatchTiming(1000);
    t.stepStarting(1040);
    t.stepStarting(1042);
    expect(t.snapshot(1040 + 16 * 2 + 30, 16, 0)).toEqual({ msPerStep: (32 + 30 + 40) / 16, steady: false });
    expect(t.snapshot(1102 + 16 * 2, 32, 0)).toEqual({ msPerStep: 2, steady: true });
    expect(t.snapshot(1134 + 32 * 2, 64, 0).msPerStep).toBe(2);
    // The clean pass after the last snapshot: 12 ms.
    expect(t.overheadMs(1198 + 12, 0)).toBeCloseTo(40 + 30 + 12, 9);
  });

  it('leaves paused time out, wherever it falls', () => {
    const t = new BatchTiming(0);
    t.stepStarting(10);
    // 500 ms paused in the first interval, 300 in the second, 100 after the last snapshot.
    t.snapshot(10 + 32 + 500, 16, 500);
    expect(t.snapshot(542 + 32 + 300, 32, 300)).toEqual({ msPerStep: 2, steady: true });
    expect(t.overheadMs(874 + 5 + 100, 100)).toBeCloseTo(10 + 0 + 5, 9);
  });

  it('has no figure without a steady interval, and never a negative one', () => {
    const one = new BatchTiming(0);
    one.stepStarting(1);
    one.snapshot(20, 16, 0);
    expect(one.overheadMs(25, 0)).toBeNull();
    // A first interval faster than the steady rate (a noisy steady interval): no negative warm-up.
    const fast = new BatchTiming(0);
    fast.stepStarting(0);
    fast.snapshot(16, 16, 0);
    fast.snapshot(16 + 64, 32, 0);
    expect(fast.overheadMs(16 + 64, 0)).toBe(0);
  });
});
