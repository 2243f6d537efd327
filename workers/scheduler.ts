/**
 * The worker's render scheduler: the job queue, batches of jobs that share an optimization, pause and cancel, and
 * the snapshots and results that go back to the page. What happens on a failed GPU or a broken backend is the
 * worker's call (see viz.worker.ts): the scheduler only tells it.
 */
import type { FeatureModel } from '../src/lib/engine/model.ts';
import { render, RenderCancelled, type RenderTarget } from '../src/lib/engine/render.ts';
import { PREEMPT_MARGIN, type FromWorker, type Job } from '../src/lib/protocol.ts';
import { JobQueue } from '../src/lib/queue.ts';
import { checkJobSettings } from '../src/lib/settings.ts';
import { estimateStepMs } from '../src/lib/step-cost.ts';
import { BatchTiming } from './batch-timing.ts';
import { claimName, RenderClaims } from './render-claims.ts';

export const MAX_BATCH = 8;

export interface SchedulerHost {
  post(m: FromWorker, transfer?: Transferable[]): void;
  /** The loaded model and its key (jobs for other keys wait). */
  model(): { model: FeatureModel; key: string } | null;
  backend(): string;
  /** Why the GPU is gone, from the backend's own lost state (null while it works, and on CPU backends). */
  gpuLost(): string | null;
  /** The GPU failed during a batch: true when the host recovered (another backend), so the batch runs again. */
  gpuFailed(message: string): Promise<boolean>;
  /** The backend itself failed (wasm out of memory): nothing later can run in this worker. */
  broken(message: string): void;
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
  private running: { jobs: Job[]; cancelled: Set<string>; abort: AbortController; preempted: boolean } | null = null;
  /** A batch taken from the queue while its claims are asked for: a cancel meanwhile lands here. */
  private claiming: { ids: Set<string>; cancelled: Set<string> } | null = null;
  /** Renders another tab has claimed, by claim: queued here until that tab lets go (render-claims.ts). */
  private readonly aside = new Map<string, Job[]>();
  /** Finished renders whose images the page has not yet said are cached, by claim: the claim is kept until then. */
  private readonly unwritten = new Map<string, Set<string>>();
  private msPerStep = 0;
  /** Milliseconds spent paused since the last snapshot: not render time, so not in ms/step. */
  private pausedMs = 0;
  private pausedAt: number | null = null;
  private loopActive = false;

  constructor(
    private readonly host: SchedulerHost,
    private readonly claims = new RenderClaims(null),
  ) {}

  /**
   * Measured ms per image-step per layer and size (the latest batch's; a batch of 4 costs about twice a batch of 2),
   * for ETAs that know deep layers cost more. `steady`: from snapshots after a batch's first, whose interval also holds
   * the batch's start-up (such a figure is kept only until a steady one comes).
   */
  private readonly measured = new Map<string, { layer: string; size: number; ms: number; steady: boolean }>();
  /**
   * A batch's time beyond its steps (building the parameterization and the network's slices, the first step's
   * warm-up, the final clean pass): a moving average over finished batches, added to each queued batch's ETA.
   */
  private batchOverheadMs = 0;
  private runningStep = 0;

  /**
   * ms per image-step for a layer at a size, for one look at the queue: measured, else estimated from the measured layers
   * (step-cost.ts), each scaled to that size by the image's area. Depths and the measured points are worked out once
   * per look, not once per queued batch. Once any steady figure exists, figures that hold a batch's start-up are left
   * out: one new layer's first interval (slices built, kernels warmed) would tilt the estimate for every deeper one.
   */
  private costs(model: FeatureModel): (layer: string, size: number) => number | null {
    const depth = new Map(model.layers.map((l) => [l.name, l.depth]));
    const maxDepth = Math.max(0, ...depth.values());
    const all = [...this.measured.values()];
    const anySteady = all.some((m) => m.steady);
    const usable = (m: { steady: boolean }) => m.steady || !anySteady;
    const measured = all.filter(usable).map((m) => ({ ...m, depth: depth.get(m.layer) ?? 0 }));
    return (layer, size) => {
      const hit = this.measured.get(JSON.stringify([layer, size]));
      if (hit !== undefined && usable(hit)) return hit.ms;
      const points = measured.map((m) => ({ depth: m.depth, ms: m.ms * ((size * size) / (m.size * m.size)) }));
      return estimateStepMs(points, depth.get(layer) ?? 0, maxDepth);
    };
  }

  /**
   * Time left: for the whole queue, and per layer until its last render is done — the running batch first, then the
   * queued batches in the order they will run (JobQueue.plan), each at its layer's measured cost per image-step
   * times its images, plus a batch's start-up and final pass (batchOverheadMs). A band queued behind others waits for
   * them: its figure is when it will be done, not how long its own renders take.
   */
  private eta(): { etaMs: number | null; etaByLayer: Record<string, number> } {
    const current = this.host.model();
    const byLayer: Record<string, number> = {};
    if (!current || !this.measured.size) return { etaMs: null, etaByLayer: byLayer };
    const msFor = this.costs(current.model);
    let clock = 0;
    const run = (layer: string, ms: number | null, steps: number, extra = 0) => {
      if (ms === null) return;
      clock += extra + ms * steps;
      byLayer[layer] = clock;
    };
    const r = this.running;
    if (r) {
      const s = r.jobs[0].settings;
      // Cancelled jobs of the running batch are still computed until the batch ends.
      run(r.jobs[0].layer, msFor(r.jobs[0].layer, s.size), Math.max(0, s.steps - this.runningStep) * r.jobs.length);
    }
    for (const batch of this.queue.plan(MAX_BATCH, current.key)) {
      const head = batch[0];
      run(head.layer, msFor(head.layer, head.settings.size), head.settings.steps * batch.length, this.batchOverheadMs);
    }
    return { etaMs: clock, etaByLayer: byLayer };
  }

  /** A finished batch's time beyond its steps (BatchTiming), folded into the moving average. */
  private learnOverhead(extra: number | null) {
    if (extra === null) return;
    this.batchOverheadMs = this.batchOverheadMs ? 0.7 * this.batchOverheadMs + 0.3 * extra : extra;
  }

  postQueue() {
    this.host.post({
      type: 'queue',
      state: {
        pending: this.queue.size + this.elsewhere,
        elsewhere: this.elsewhere,
        // A paused batch holds its jobs but does not run them.
        running: this.running && !this.paused ? this.running.jobs.length - this.running.cancelled.size : 0,
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
      if (this.running?.jobs.some((r) => r.id === j.id) || this.isAside(j.id)) continue;
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
    for (const jobs of this.aside.values()) for (const j of jobs) if (ids.includes(j.id)) j.priority = priority;
    this.preemptIfOutranked();
  }

  /**
   * A queued job a priority class above the whole running batch (a click while background work runs) stops that
   * batch at its next step; its jobs go back to the queue and start again later.
   */
  private preemptIfOutranked() {
    const r = this.running;
    const current = this.host.model();
    if (!r || r.preempted || !current) return;
    const runningTop = Math.max(...r.jobs.filter((j) => !r.cancelled.has(j.id)).map((j) => j.priority));
    if (this.queue.topPriority(current.key) - runningTop < PREEMPT_MARGIN) return;
    r.preempted = true;
    r.abort.abort();
    this.wake();
  }

  cancel(ids: string[] | 'all') {
    this.queue.remove(ids);
    this.dropAside(ids);
    if (this.claiming) for (const id of this.claiming.ids) if (ids === 'all' || ids.includes(id)) this.claiming.cancelled.add(id);
    const r = this.running;
    if (r) {
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
    for (const j of this.running?.jobs ?? []) this.claims.release(claimName(j));
    this.postQueue();
  }

  resume() {
    if (this.pausedAt !== null) this.pausedMs += performance.now() - this.pausedAt;
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

  private gate = () => {
    this.checkGpu();
    return this.paused ? new Promise<void>((r) => this.resumeWaiters.push(r)) : undefined;
  };

  async pump() {
    if (this.loopActive) return;
    this.loopActive = true;
    try {
      for (let current = this.host.model(); current && !this.paused; current = this.host.model()) {
        const batch = this.queue.takeBatch(MAX_BATCH, current.key);
        if (!batch.length) break;
        const mine = await this.claim(batch);
        if (this.host.model()?.key !== current.key) {
          // Another model came while the claims were asked for: the batch waits for its own.
          for (const j of mine) this.claims.release(claimName(j));
          this.queue.add(mine);
          continue;
        }
        if (mine.length) await this.runBatch(current.model, mine);
      }
    } finally {
      this.loopActive = false;
      this.postQueue();
    }
  }

  private async runBatch(model: FeatureModel, jobs: Job[]) {
    const abort = new AbortController();
    const running = { jobs, cancelled: new Set<string>(), abort, preempted: false };
    this.running = running;
    this.runningStep = 0;
    const live = (j: Job) => !running.cancelled.has(j.id);
    try {
      this.postQueue();
      for (const j of jobs) this.host.post({ type: 'job-started', id: j.id });
      const s = jobs[0].settings;
      // Time paused before this batch started is not its own.
      this.pausedMs = 0;
      const started = performance.now();
      const timing = new BatchTiming(started);
      const key = JSON.stringify([jobs[0].layer, s.size]);
      // The first snapshot comes at step 16 (a click shows something quickly), then every 32 steps.
      const thresholds = [16];
      for (let t = 32; t <= s.steps; t += 32) thresholds.push(t);
      const result = await render(model, { ...s, layer: jobs[0].layer, thresholds }, jobs.map(targetOf), {
        signal: abort.signal,
        gate: () => {
          timing.stepStarting(performance.now());
          return this.gate();
        },
        curveEvery: 8,
        onSnapshot: (snap) => {
          const { msPerStep, steady } = timing.snapshot(performance.now(), snap.step, this.pausedMs);
          this.msPerStep = msPerStep;
          this.pausedMs = 0;
          if (steady || !this.measured.has(key))
            this.measured.set(key, { layer: jobs[0].layer, size: s.size, ms: msPerStep / jobs.length, steady });
          this.runningStep = snap.step;
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
      this.checkGpu();
      const ended = performance.now();
      this.learnOverhead(timing.overheadMs(ended, this.pausedMs));
      const seconds = (ended - started) / 1000 / jobs.length;
      jobs.forEach((j, i) => {
        if (!live(j)) return;
        const name = claimName(j);
        this.unwritten.set(name, (this.unwritten.get(name) ?? new Set()).add(j.id));
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
      if (e instanceof RenderCancelled) {
        if (running.preempted) {
          const back = jobs.filter(live);
          this.queue.add(back);
          for (const j of back) this.host.post({ type: 'job-requeued', id: j.id });
        }
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
      this.running = null;
      // Claims of renders that will not be cached from here go at once; the rest when the page has written them.
      for (const j of jobs) if (!this.unwritten.has(claimName(j))) this.claims.release(claimName(j));
      this.postQueue();
    }
  }

  /**
   * Claims a batch's renders (render-claims.ts); those another tab holds are set aside until it lets go, and the rest
   * are returned, less any cancelled while the claims were asked for.
   */
  private async claim(batch: Job[]): Promise<Job[]> {
    const byName = new Map<string, Job[]>();
    for (const j of batch) byName.set(claimName(j), [...(byName.get(claimName(j)) ?? []), j]);
    const claiming = { ids: new Set(batch.map((j) => j.id)), cancelled: new Set<string>() };
    this.claiming = claiming;
    const got = await Promise.all([...byName.keys()].map((name) => this.claims.claim(name)));
    this.claiming = null;
    const mine: Job[] = [];
    [...byName].forEach(([name, jobs], i) => {
      const live = jobs.filter((j) => !claiming.cancelled.has(j.id));
      if (got[i] && live.length) mine.push(...live);
      else if (got[i]) this.claims.release(name);
      else if (live.length) {
        this.aside.set(name, live);
        this.claims.watch(name, () => this.freed(name));
      }
    });
    if (this.aside.size) this.postQueue();
    return mine;
  }

  /** Another tab let go of a claim this worker waited on: its renders queue again (a cancel took them if cached). */
  private freed(name: string) {
    const jobs = this.aside.get(name);
    this.aside.delete(name);
    if (!jobs?.length) return;
    this.queue.add(jobs);
    this.postQueue();
    void this.pump();
  }

  private dropAside(ids: string[] | 'all') {
    for (const [name, jobs] of this.aside) {
      const left = ids === 'all' ? [] : jobs.filter((j) => !ids.includes(j.id));
      if (left.length) this.aside.set(name, left);
      else {
        this.aside.delete(name);
        this.claims.unwatch(name);
      }
    }
  }

  private isAside(id: string): boolean {
    for (const jobs of this.aside.values()) if (jobs.some((j) => j.id === id)) return true;
    return false;
  }

  /** Renders set aside for another tab (counted among the queued). */
  private get elsewhere(): number {
    let n = 0;
    for (const jobs of this.aside.values()) n += jobs.length;
    return n;
  }

  /** The page wrote these finished renders to the cache: a claim goes once all its renders are written. */
  written(ids: string[]) {
    for (const [name, left] of this.unwritten) {
      for (const id of ids) left.delete(id);
      if (left.size) continue;
      this.unwritten.delete(name);
      this.claims.release(name);
    }
  }
}

/** The GPU context or device is gone (the backend's own lost state, not a guess from an error's text). */
export class GpuLostError extends Error {
  override name = 'GpuLostError';
}
