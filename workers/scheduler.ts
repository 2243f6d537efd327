/**
 * The worker's render scheduler: the job queue, batches of jobs that share an optimization, pause and cancel, and
 * the snapshots and results that go back to the page. What happens on a failed GPU or a broken backend is the
 * worker's call (see viz.worker.ts): the scheduler only tells it.
 */
import type { FeatureModel } from '../src/lib/engine/model.ts';
import { render, RenderCancelled, type RenderTarget } from '../src/lib/engine/render.ts';
import type { RenderSettings } from '../src/lib/engine/render-settings.ts';
import type { RenderOptions } from '../src/lib/engine/render-vis.ts';
import { PREEMPT_MARGIN, PRIORITY, type FromWorker, type Job } from '../src/lib/protocol.ts';
import { JobQueue } from '../src/lib/queue.ts';
import { checkJobSettings } from '../src/lib/settings.ts';
import { BatchTiming } from './batch-timing.ts';
import type { BatchRun } from './helper-engines.ts';
import { RetryBatch } from './lockstep-batch.ts';
import { RenderClaims } from './render-claims.ts';
import { SharedRenders } from './shared-renders.ts';
import { RenderTurn } from './render-turn.ts';
import { QueueEta } from './queue-eta.ts';

export interface SchedulerHost {
  post(m: FromWorker, transfer?: Transferable[]): void;
  /** The loaded model and its key (jobs for other keys wait). */
  model(): { model: FeatureModel; key: string } | null;
  backend(): string;
  /** The most images one batch may hold at a render size, on the running backend (batch-size.ts). */
  batchLimit(size: number): number;
  /** Why the GPU is gone, from the backend's own lost state (null while it works, and on CPU backends). */
  gpuLost(): string | null;
  /** The GPU failed during a batch: true when the host recovered (another backend), so the batch runs again. */
  gpuFailed(message: string): Promise<boolean>;
  /** The backend itself failed (wasm out of memory): nothing later can run in this worker. */
  broken(message: string): void;
  /** Runs a batch, on helper engines where they help (helper-engines.ts); without it, on this worker's engine. */
  render?(model: FeatureModel, settings: Partial<RenderSettings>, targets: RenderTarget[], options: RenderOptions): BatchRun;
}

/** The render target of a job: its channel, or the composed objective around it. */
export function targetOf(j: Job): RenderTarget {
  const t: RenderTarget = { index: j.channel, variant: j.variant };
  const c = j.combo;
  if (!c) return t;
  switch (c.kind) {
    case 'neg':
      return { ...t, terms: [{ index: j.channel, weight: -1 }] };
    case 'sum':
    case 'diff':
      return {
        ...t,
        terms: [
          { index: j.channel, weight: 1 },
          { index: c.other, weight: c.kind === 'sum' ? 1 : -1 },
        ],
      };
    case 'mix':
      return {
        ...t,
        terms: [
          { index: j.channel, weight: 1 - c.t },
          { index: c.other, weight: c.t },
        ],
      };
    case 'at':
      return { ...t, position: [c.y, c.x] };
  }
}

/** Errors after which the backend's memory or state cannot be trusted. */
export function isBackendBroken(e: unknown): boolean {
  return (
    (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) ||
    (e instanceof RangeError && /memory|allocation/i.test(e.message)) ||
    /out of memory|memory access out of bounds/i.test((e as Error)?.message ?? '')
  );
}

export class Scheduler {
  readonly queue = new JobQueue();
  private paused = false;
  private resumeWaiters: (() => void)[] = [];
  /**
   * The batches started and not ended, oldest first: the last one computes; each one below it was outranked and waits
   * at its next step, keeping its steps, until the work that outranked it has run (`runOutranking`).
   */
  private stack: Running[] = [];
  /** Renders shared with the studio's other tabs: claimed here, or waiting for another tab (shared-renders.ts). */
  private readonly shared: SharedRenders;
  private msPerStep = 0;
  private pausedAt: number | null = null;
  private loopActive = false;

  constructor(
    private readonly host: SchedulerHost,
    claims = new RenderClaims(null),
    /** One batch at a time across the browser's tabs (render-turn.ts). */
    private readonly turn = new RenderTurn(null),
  ) {
    this.shared = new SharedRenders(claims, (jobs) => {
      this.queue.add(jobs);
      this.postQueue();
      void this.pump();
    });
  }

  /** Time left in the queue, from the cost measured per layer (queue-eta.ts). */
  private readonly clock = new QueueEta();

  /** The batch computing now (the top of the stack), or null. */
  private get running(): Running | null {
    return this.stack.at(-1) ?? null;
  }

  /**
   * Time left: the running batch's remaining steps, the waiting batches' remaining steps, then the queued batches in
   * the order they will run. (Queued work that outranks a waiting batch runs before it; the total is the same.)
   */
  private eta() {
    const current = this.host.model();
    if (!current) return { etaMs: null, etaByLayer: {} };
    // Cancelled jobs of a started batch are still computed until the batch ends.
    const started = [...this.stack].reverse().map((r) => {
      const s = r.jobs[0].settings;
      return { layer: r.jobs[0].layer, size: s.size, imageSteps: Math.max(0, s.steps - r.step) * r.jobs.length };
    });
    return this.clock.eta(
      current.model,
      started,
      this.queue.plan((size) => this.host.batchLimit(size), current.key),
    );
  }

  /** Jobs of batches that wait for outranking work (started, kept, not computing now), not cancelled. */
  private get waitingJobs(): number {
    return this.stack.slice(0, -1).reduce((n, r) => n + r.jobs.length - r.cancelled.size, 0);
  }

  postQueue() {
    this.host.post({
      type: 'queue',
      state: {
        pending: this.queue.size + this.shared.elsewhere + this.waitingJobs,
        elsewhere: this.shared.elsewhere,
        // A paused batch holds its jobs but does not run them.
        running: this.running && !this.paused ? this.running.jobs.length - this.running.cancelled.size : 0,
        engines: this.running?.engines ?? 0,
        paused: this.paused,
        msPerStep: this.msPerStep,
        ...this.eta(),
      },
    });
  }

  /** Jobs with settings out of range fail here, before anything is allocated for them. */
  enqueue(jobs: Job[]) {
    const ok: Job[] = [];
    for (const j of jobs) {
      if (this.stack.some((r) => r.jobs.some((x) => x.id === j.id)) || this.shared.has(j.id)) continue;
      try {
        ok.push({ ...j, settings: checkJobSettings(j.settings) });
      } catch (e) {
        this.host.post({ type: 'job-failed', id: j.id, message: (e as Error).message });
      }
    }
    this.queue.add(ok);
    this.preemptIfOutranked();
    this.postQueue();
    void this.pump();
  }

  prioritize(ids: string[], priority: number) {
    this.queue.prioritize(ids, priority);
    this.shared.prioritize(ids, priority);
    this.preemptIfOutranked();
  }

  /**
   * True when a queued job of the current model outranks every live job of batch `r`: a priority class or more above
   * them; or, when `r` holds several of a person's renders (a range, a whole layer), a later request of theirs (the
   * newest first, as in the queue) while fewer than MAX_WAITING batches wait below `r`. A single render finishes first
   * (about a second at the default settings): clicking or stepping through cards one by one keeps its order, and the
   * detail view passes over the ones not started (render-requests.svelte.ts).
   */
  private outranks(r: Running): boolean {
    const current = this.host.model();
    if (!current) return false;
    const live = r.jobs.filter((j) => !r.cancelled.has(j.id));
    const top = Math.max(...live.map((j) => j.priority));
    const queued = this.queue.topPriority(current.key);
    if (queued - top >= PREEMPT_MARGIN) return true;
    return live.length > 1 && top >= PRIORITY.clicked && queued > top && this.stack.indexOf(r) < MAX_WAITING;
  }

  /**
   * A queued job a priority class above the whole running batch (a click while background work runs) outranks it: at
   * its next step the batch waits, keeping its steps and its image, while the outranking work runs; then it goes on.
   * Before, it was stopped and started again from step 0 later (BENCHMARKS.md, session 29). What a waiting batch holds
   * is its parameters and optimizer state, not a step's activations: 6 MiB for 8 images of 128 px, 98 MiB at 512 px
   * (wasm, MobileNet α0.75, between steps); a step at 512 px peaks at gigabytes.
   */
  private preemptIfOutranked() {
    const r = this.running;
    if (r && !r.outranked && this.outranks(r)) r.outranked = true;
  }

  cancel(ids: string[] | 'all') {
    this.queue.remove(ids);
    this.shared.cancel(ids);
    for (const r of this.stack) {
      for (const j of r.jobs) if (ids === 'all' || ids.includes(j.id)) r.cancelled.add(j.id);
      if (r.cancelled.size === r.jobs.length) {
        r.abort.abort();
        // A paused render waits in its gate; let it reach the abort check.
        this.wake();
      }
    }
    this.postQueue();
  }

  pause() {
    if (!this.paused) this.pausedAt = performance.now();
    this.paused = true;
    // A paused render holds nobody up: another tab may render it meanwhile (this one adopts its image).
    this.shared.letGo(this.stack.flatMap((r) => r.jobs));
    this.turn.give();
    this.postQueue();
  }

  resume() {
    const r = this.running;
    if (this.pausedAt !== null && r) r.pausedMs += performance.now() - this.pausedAt;
    this.pausedAt = null;
    this.paused = false;
    this.wake();
    this.postQueue();
    void this.pump();
  }

  private wake() {
    this.resumeWaiters.forEach((r) => r());
    this.resumeWaiters = [];
  }

  /** Every step: a lost WebGL context gives zeros, not errors, so its state is checked outright. */
  private checkGpu() {
    const lost = this.host.gpuLost();
    if (lost) throw new GpuLostError(lost);
  }

  /**
   * Before each step of batch `r`: the work that outranked it first, then a pause, then the browser's render turn.
   * Returns at once when `r` is cancelled (its render stops after the gate).
   */
  private async gate(r: Running): Promise<void> {
    this.checkGpu();
    while (!r.abort.signal.aborted) {
      if (this.paused) {
        // Given at pause() too; a turn granted after the pause (the batch was still waiting for it) goes here.
        this.turn.give();
        await new Promise<void>((done) => this.resumeWaiters.push(done));
        // What was asked for meanwhile may outrank it.
        r.outranked = !this.paused && this.outranks(r);
        if (!r.outranked && !this.paused) await this.waitForTurn(r);
      } else if (r.outranked) await this.runOutranking(r);
      // Another tab's click took the turn: this batch keeps its steps and goes on when the turn comes back.
      else if (this.turn.lost) await this.waitForTurn(r);
      else return;
    }
  }

  /**
   * Batch `r` was outranked: it waits at this step (its state kept on its engines) while the queued batches that
   * outrank it run, one after another, each in turn able to be outranked; then it goes on. Stops early when `r` is
   * cancelled, the scheduler is paused, or another model is loaded. The time is not `r`'s render time.
   */
  private async runOutranking(r: Running) {
    r.outranked = false;
    // What outranked it may have been cancelled meanwhile.
    if (!this.outranks(r)) return;
    const t = performance.now();
    const live = r.jobs.filter((j) => !r.cancelled.has(j.id));
    for (const j of live) this.host.post({ type: 'job-waiting', id: j.id });
    try {
      while (!this.paused && !r.abort.signal.aborted && (await this.runNext(r))) {
        /* the outranking batches, one after another */
      }
    } finally {
      const waited = performance.now() - t;
      r.pausedMs += waited;
      r.waitedMs += waited;
      if (this.stack.includes(r)) {
        for (const j of live) if (!r.cancelled.has(j.id)) this.host.post({ type: 'job-started', id: j.id });
        // A click ran in the turn: another tab's click may take it from this batch again (render-turn.ts).
        if (!isUrgent(r.jobs)) await this.turn.backgroundAgain();
      }
      this.postQueue();
    }
  }

  /**
   * Batch `r` waits for the browser's render turn, after a pause or after another tab's click took it; it never takes
   * the turn back (two tabs' clicks would take it from each other at every step). The wait is not render time (it
   * counts as paused).
   */
  private async waitForTurn(r: Running) {
    const t = performance.now();
    await this.turn.take(false, r.abort.signal);
    r.pausedMs += performance.now() - t;
  }

  async pump() {
    if (this.loopActive) return;
    this.loopActive = true;
    try {
      while (!this.paused && (await this.runNext())) {
        /* one batch after another */
      }
    } finally {
      this.loopActive = false;
      this.postQueue();
    }
  }

  /**
   * Takes the next batch of the current model's queue and runs it, when `first` (a batch waiting on outranking work)
   * allows: only while queued work outranks it. False when nothing was taken.
   */
  private async runNext(first?: Running): Promise<boolean> {
    const current = this.host.model();
    if (!current || (first && !this.outranks(first))) return false;
    const batch = this.queue.takeBatch((size) => this.host.batchLimit(size), current.key);
    if (!batch.length) return false;
    const mine = await this.shared.claim(batch);
    // What was set aside shows in the queue's figures (runBatch posts them for a batch that runs).
    if (!mine.length) this.postQueue();
    if (this.host.model()?.key !== current.key) {
      // Another model came while the claims were asked for: the batch waits for its own.
      this.shared.letGo(mine);
      this.queue.add(mine);
    } else if (mine.length) await this.runBatch(current.model, mine);
    return true;
  }

  private async runBatch(model: FeatureModel, jobs: Job[]) {
    const abort = new AbortController();
    const running: Running = {
      jobs,
      cancelled: new Set<string>(),
      abort,
      outranked: false,
      engines: 1,
      step: 0,
      pausedMs: 0,
      waitedMs: 0,
    };
    this.stack.push(running);
    const live = (j: Job) => !running.cancelled.has(j.id);
    try {
      this.postQueue();
      // The browser's render turn first: another tab's batch may be computing (render-turn.ts). A batch that runs
      // while an outranked one waits already holds it.
      await this.turn.take(isUrgent(jobs), abort.signal);
      for (const j of jobs) this.host.post({ type: 'job-started', id: j.id });
      const s = jobs[0].settings;
      const started = performance.now();
      const timing = new BatchTiming(started);
      // The first snapshot comes at step 16 (a click shows something quickly), then every 32 steps.
      const thresholds = [16];
      for (let t = 32; t <= s.steps; t += 32) thresholds.push(t);
      const run = (this.host.render ?? renderHere)(model, { ...s, layer: jobs[0].layer, thresholds }, jobs.map(targetOf), {
        signal: abort.signal,
        gate: () => {
          timing.stepStarting(performance.now());
          return this.gate(running);
        },
        curveEvery: 8,
        onSnapshot: (snap) => {
          const { msPerStep, steady } = timing.snapshot(performance.now(), snap.step, running.pausedMs);
          this.msPerStep = msPerStep;
          running.pausedMs = 0;
          this.clock.measured(jobs[0].layer, s.size, msPerStep / jobs.length, steady);
          running.step = snap.step;
          jobs.forEach((j, i) => {
            if (!live(j)) return;
            const rgba = snap.images[i];
            const buffer = rgba.buffer as ArrayBuffer;
            this.host.post(
              {
                type: 'snapshot',
                id: j.id,
                step: snap.step,
                steps: s.steps,
                width: snap.width,
                height: snap.height,
                rgba: buffer,
                value: snap.values[i],
              },
              [buffer],
            );
          });
          this.postQueue();
        },
      });
      running.engines = run.engines;
      this.postQueue();
      const result = await run.result;
      this.checkGpu();
      const ended = performance.now();
      this.clock.learnOverhead(timing.overheadMs(ended, running.pausedMs));
      // The time it waited for outranking work is theirs, not its own.
      const seconds = (ended - started - running.waitedMs) / 1000 / jobs.length;
      jobs.forEach((j, i) => {
        if (!live(j)) return;
        this.shared.finished(j);
        this.host.post({
          type: 'job-done',
          id: j.id,
          value: result.cleanValues[i],
          curve: result.curve.map((c) => ({ step: c.step, value: c.values[i] })),
          seconds,
          backend: this.host.backend(),
        });
      });
    } catch (e) {
      if (e instanceof RenderCancelled) return;
      if (e instanceof RetryBatch) {
        const back = jobs.filter(live);
        this.queue.add(back);
        for (const j of back) this.host.post({ type: 'job-requeued', id: j.id });
        this.host.post({ type: 'notice', message: e.message });
        return;
      }
      const message = (e as Error)?.message || String(e);
      if (isBackendBroken(e)) {
        this.host.broken(message);
        return;
      }
      if ((e instanceof GpuLostError || this.host.gpuLost()) && (await this.host.gpuFailed(message))) {
        this.queue.add(jobs.filter(live));
        return;
      }
      for (const j of jobs) this.host.post({ type: 'job-failed', id: j.id, message });
    } finally {
      this.stack.splice(this.stack.indexOf(running), 1);
      // Claims of renders that will not be cached from here go at once; the rest when the page has written them.
      this.shared.settle(jobs);
      // A batch waiting on this one keeps the turn.
      if (!this.stack.length) this.turn.give();
      this.postQueue();
    }
  }

  /** The page wrote these finished renders to the cache: their claims can go (shared-renders.ts). */
  written(ids: string[]) {
    this.shared.written(ids);
  }
}

/**
 * How many batches may wait at once below one that runs, for later clicks (a person clicking through cards while a
 * whole layer renders): beyond that a click waits in the queue, first in line. The priority classes alone never stack
 * more than two.
 */
export const MAX_WAITING = 3;

/** A started batch, computing or waiting for work that outranked it (Scheduler.stack). */
interface Running {
  jobs: Job[];
  cancelled: Set<string>;
  abort: AbortController;
  /** Queued work outranks it: at its next step it waits while that runs (runOutranking). */
  outranked: boolean;
  /** The engines the batch runs on (1: the worker's own). */
  engines: number;
  /** The step of its last snapshot. */
  step: number;
  /** Milliseconds since its last snapshot that were not its render time: paused, waiting for the turn or others. */
  pausedMs: number;
  /** Milliseconds it waited in all for outranking work. */
  waitedMs: number;
}

/** The worker's own engine. */
const renderHere = (...args: Parameters<typeof render>): BatchRun => ({ engines: 1, result: render(...args) });

/** A batch with a clicked job: it takes the browser's render turn from another tab's batch (render-turn.ts). */
const isUrgent = (jobs: Job[]) => jobs.some((j) => j.priority >= PRIORITY.clicked);

/** The GPU context or device is gone (the backend's own lost state, not a guess from an error's text). */
export class GpuLostError extends Error {
  override name = 'GpuLostError';
}
