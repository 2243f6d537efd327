/**
 * One batch's clock, for ETAs: its steady cost per step, and the time it spends beyond its steps at that cost — the
 * set-up before the first step (the parameterization), the first snapshot's warm-up beyond its steps (slices of the
 * weights built, kernels warmed) and the finish after the last snapshot (the clean pass). Each part is measured
 * where it happens rather than left over from the total: a left-over is the difference of two figures of the same
 * size and, on a warm network at a small size, as often noise as start-up (the scheduler's ETA test failed on it).
 * Times are performance.now() milliseconds; paused time is passed in and left out.
 */
export class BatchTiming {
  private firstStepAt: number | null = null;
  private first: { ms: number; step: number } | null = null;
  private lastAt: number;
  private lastStep = 0;
  private steadyMs = 0;
  private steadySteps = 0;

  constructor(private readonly started: number) {
    this.lastAt = started;
  }

  /** Called as each step starts (only the first counts). */
  stepStarting(now: number): void {
    this.firstStepAt ??= now;
  }

  /** A snapshot at `step`, `pausedMs` of the time since the one before paused: ms per batch-step since then. */
  snapshot(now: number, step: number, pausedMs: number): { msPerStep: number; steady: boolean } {
    const ms = now - this.lastAt - pausedMs;
    const steps = Math.max(1, step - this.lastStep);
    const steady = this.first !== null;
    if (steady) {
      this.steadyMs += ms;
      this.steadySteps += steps;
    } else {
      this.first = { ms: now - (this.firstStepAt ?? this.started) - pausedMs, step };
    }
    this.lastAt = now;
    this.lastStep = step;
    return { msPerStep: ms / steps, steady };
  }

  /** The batch's time beyond its steps at its steady cost, once it has ended; null without a steady interval. */
  overheadMs(ended: number, pausedMs: number): number | null {
    if (!this.first || !this.steadySteps) return null;
    const rate = this.steadyMs / this.steadySteps;
    const setUp = (this.firstStepAt ?? this.started) - this.started;
    const warmUp = Math.max(0, this.first.ms - this.first.step * rate);
    const finish = Math.max(0, ended - this.lastAt - pausedMs);
    return setUp + warmUp + finish;
  }
}
