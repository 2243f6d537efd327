/**
 * One batch rendered in parts on helper engines (helper-engines.ts), seen by the caller as one render: every helper
 * waits before each step until all have reached it; then the caller's gate runs once (pause, the render turn) and all
 * get "go" — or, after a cancel or a gate that threw, "stop". The helpers' snapshots of one step become one snapshot
 * in the batch's order, and their results one result.
 */
import { RenderCancelled, type RenderResult, type Snapshot } from '../src/lib/engine/render.ts';
import type { RenderOptions } from '../src/lib/engine/render-vis.ts';
import type { BatchNews } from './helper-protocol.ts';

/** The batch could not finish where it ran, and can run again: its jobs go back to the queue (scheduler.ts). */
export class RetryBatch extends Error {
  override name = 'RetryBatch';
}

type Done = Extract<BatchNews, { type: 'done' }>;

export class LockstepBatch {
  /** Resolves with the merged result; rejects with RenderCancelled, the gate's error, or RetryBatch. */
  readonly result: Promise<RenderResult>;
  private resolve!: (r: RenderResult) => void;
  private reject!: (e: unknown) => void;
  private readonly waiting = new Set<number>();
  private readonly snaps = new Map<number, Map<number, Snapshot>>();
  private readonly done = new Map<number, Done>();
  private readonly cancelled = new Set<number>();
  private last: Snapshot | null = null;
  private stopping: { error: unknown } | null = null;
  private ended = false;
  private readonly started = Date.now();
  /** Armed while the helpers compute (from "go" until all wait again, or are done). */
  private stallTimer: ReturnType<typeof setTimeout> | null = null;
  /** Helpers heard from since the watch was last armed. */
  private readonly answered = new Set<number>();

  /**
   * `parts[i]`: the batch indices helper i renders, in its order (one part per helper); `size`: the batch's length; `send(i, m)` talks to
   * helper i. `stalled(i)` is called when helper i has not answered for `stallMs` while it computes (a stuck helper:
   * the caller ends the helpers, which fails this batch).
   */
  constructor(
    private readonly parts: number[][],
    private readonly size: number,
    private readonly options: RenderOptions,
    private readonly send: (i: number, m: { type: 'go' | 'stop' }) => void,
    private readonly stall: { ms: number; stalled: (i: number) => void },
  ) {
    this.result = new Promise<RenderResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // From the start: a helper can also get stuck before its first step.
    this.arm();
  }

  /** A message from helper i about this batch. */
  heard(i: number, m: BatchNews): void {
    if (this.ended) return;
    this.answered.add(i);
    switch (m.type) {
      case 'step':
        if (this.stopping) return this.send(i, { type: 'stop' });
        this.waiting.add(i);
        if (this.waiting.size === this.parts.length) void this.advance();
        return;
      case 'snapshot':
        return this.snapshot(i, m.snap);
      case 'done':
        this.done.set(i, m);
        if (this.done.size === this.parts.length) this.finish();
        return;
      case 'cancelled':
        this.cancelled.add(i);
        if (this.cancelled.size === this.parts.length) this.end(() => this.reject(this.stopping?.error ?? new RenderCancelled()));
        return;
      case 'failed':
        return this.end(() => this.reject(new RetryBatch(`${m.message}; the batch runs again on the worker's own engine`)));
    }
  }

  private end(f: () => void) {
    if (this.ended) return;
    this.ended = true;
    this.disarm();
    f();
  }

  /** Watches for a helper that says nothing for `stall.ms` while the helpers compute; re-armed while they answer. */
  private arm() {
    this.disarm();
    this.answered.clear();
    this.stallTimer = setTimeout(() => {
      const silent = [...Array(this.parts.length).keys()].find((i) => !this.answered.has(i) && !this.waiting.has(i));
      if (silent === undefined) return this.arm();
      this.stall.stalled(silent);
    }, this.stall.ms);
  }

  private disarm() {
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }

  /** All helpers wait at the same step: the gate once for all, then "go" (or "stop"). */
  private async advance() {
    // Nobody computes while the gate holds them (a pause is not a stall).
    this.disarm();
    this.waiting.clear();
    let error: unknown = null;
    try {
      await this.options.gate?.();
    } catch (e) {
      error = e;
    }
    if (this.ended) return;
    if (error || this.options.signal?.aborted) {
      this.stopping = { error: error ?? new RenderCancelled() };
      for (let i = 0; i < this.parts.length; i++) this.send(i, { type: 'stop' });
      this.arm();
      return;
    }
    for (let i = 0; i < this.parts.length; i++) this.send(i, { type: 'go' });
    this.arm();
  }

  /** Writes helper i's values (in its part's order) into `out` at their batch indices. */
  private place<T>(out: T[], i: number, values: T[]) {
    this.parts[i].forEach((t, k) => (out[t] = values[k]));
  }

  private snapshot(i: number, snap: Snapshot) {
    const per = this.snaps.get(snap.step) ?? new Map<number, Snapshot>();
    per.set(i, snap);
    this.snaps.set(snap.step, per);
    if (per.size < this.parts.length) return;
    this.snaps.delete(snap.step);
    const images: Uint8Array[] = new Array(this.size);
    const values: number[] = new Array(this.size);
    for (const [h, s] of per) {
      this.place(images, h, s.images);
      this.place(values, h, s.values);
    }
    this.last = { step: snap.step, images, values, width: snap.width, height: snap.height };
    this.options.onSnapshot?.(this.last);
  }

  private finish() {
    const spread = (of: (d: Done) => number[]) => {
      const out: number[] = new Array(this.size);
      for (const [h, d] of this.done) this.place(out, h, of(d));
      return out;
    };
    const curve = this.done.get(0)!.curve.map((c, ci) => ({ step: c.step, values: spread((d) => d.curve[ci].values) }));
    this.end(() =>
      this.resolve({
        final: this.last!,
        cleanValues: spread((d) => d.cleanValues),
        curve,
        seconds: (Date.now() - this.started) / 1000,
      }),
    );
  }
}
