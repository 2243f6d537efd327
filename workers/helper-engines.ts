/**
 * Helper engines: batches of several channels on wasm render on one single-threaded engine per core — helper workers,
 * each a whole TensorFlow.js with its own copy of the model — instead of the worker's own engine on every core. On the
 * 2-core machine that is what made the CLI's batches pay (BENCHMARKS.md, session 26); a click, one image, stays on the
 * worker's own engine, whose threads make one image faster.
 *
 * The helpers step in lock-step: each waits before every step until all have reached it, then the worker runs its
 * render gate once (pause, the browser's render turn) and says "go" to all. So the scheduler sees one batch, with one
 * gate per step and one merged snapshot at each threshold, as from its own engine. Helpers start the first time a
 * batch could use them and load the model from the bytes the worker loaded it from. A helper that crashes or fails
 * ends the batch with RetryBatch (it runs again on the worker's own engine) and the helpers stay off until the next
 * model.
 */
import type { FeatureModel } from '../src/lib/engine/model.ts';
import {
  render as renderLocally,
  RenderCancelled,
  type RenderResult,
  type RenderTarget,
  type Snapshot,
} from '../src/lib/engine/render.ts';
import { targetGroups } from '../src/lib/engine/objective-builder.ts';
import { DEFAULT_SETTINGS, type RenderSettings } from '../src/lib/engine/render-settings.ts';
import type { RenderOptions } from '../src/lib/engine/render-vis.ts';
import type { FromHelper, HelperPort, ModelPackage, ToHelper } from './helper-protocol.ts';

/**
 * A helper as started: its channel, and how to end it. `onerror` fires when it dies (a Worker's error event, whose
 * default — passing the error on to this worker's own scope, which the page takes for this worker's crash — is
 * prevented).
 */
export interface SpawnedHelper extends HelperPort {
  terminate(): void;
  onerror: ((ev: { message?: string; preventDefault?(): void }) => void) | null;
}

/** The batch could not finish where it ran, and can run again: its jobs go back to the queue (scheduler.ts). */
export class RetryBatch extends Error {
  override name = 'RetryBatch';
}

/** A batch as the scheduler runs it: on how many engines, and its result. */
export interface BatchRun {
  engines: number;
  result: Promise<RenderResult>;
}

/**
 * Whole target groups (a target's variants stay together: diversity pushes them apart) in `parts` contiguous runs of
 * about equal image counts. Fewer runs when there are fewer groups; each run lists indices into `targets`.
 */
export function splitGroups(groups: number[], parts: number): number[][] {
  const runs: number[][] = [];
  for (let i = 0; i < groups.length;) {
    let j = i + 1;
    while (j < groups.length && groups[j] === groups[i]) j++;
    runs.push(Array.from({ length: j - i }, (_, k) => i + k));
    i = j;
  }
  const n = Math.max(1, Math.min(parts, runs.length));
  const out: number[][] = Array.from({ length: n }, () => []);
  // A run goes to the part its middle image falls in when the images are cut into n equal spans.
  let start = 0;
  for (const run of runs) {
    out[Math.min(n - 1, Math.floor(((start + run.length / 2) * n) / groups.length))].push(...run);
    start += run.length;
  }
  return out.filter((p) => p.length);
}

interface Helper {
  port: SpawnedHelper;
  /** Messages of the running batch go here. */
  onBatch: ((m: FromHelper) => void) | null;
  loaded: number;
}

export class HelperEngines {
  private helpers: Helper[] = [];
  private offered: { model: FeatureModel; serial: number; pkg: ModelPackage } | null = null;
  private serial = 0;
  private readyFor = 0;
  private loading: { serial: number; left: Set<Helper> } | null = null;
  private off: string | null = null;

  constructor(
    private readonly options: {
      spawn: () => SpawnedHelper;
      /** How many helpers (0 or 1: none). */
      count: number;
    },
  ) {}

  /**
   * The model the worker's batches run on from now, with the files it was loaded from; null: none the helpers can
   * take (another backend than wasm, a package too large to keep a copy of). Helpers that are running load it now.
   */
  offer(model: FeatureModel | null, pkg: ModelPackage | null): void {
    this.offered = model && pkg && this.options.count > 1 ? { model, serial: ++this.serial, pkg } : null;
    // A failure was this model's: the next one gets fresh helpers.
    this.off = null;
    if (this.helpers.length && this.offered) this.load();
    else if (!this.offered) this.stop(null);
  }

  /** Runs a batch: on the helpers when they hold this model and it has at least two groups, else on this engine. */
  render(model: FeatureModel, settings: Partial<RenderSettings>, targets: RenderTarget[], options: RenderOptions): BatchRun {
    const objective = settings.objective ?? DEFAULT_SETTINGS.objective;
    const parts = splitGroups(targetGroups(objective, targets), this.helpers.length || this.options.count);
    const usable = this.offered?.model === model && !this.off && parts.length > 1;
    if (usable && !this.helpers.length) this.start();
    if (!usable || this.readyFor !== this.offered!.serial)
      return { engines: 1, result: renderLocally(model, settings, targets, options) };
    return { engines: parts.length, result: this.renderOn(parts, settings, targets, options) };
  }

  private start() {
    for (let i = 0; i < this.options.count; i++) {
      const h: Helper = { port: this.options.spawn(), onBatch: null, loaded: 0 };
      h.port.onmessage = (ev) => this.heard(h, ev.data as FromHelper);
      h.port.onerror = (ev) => {
        ev.preventDefault?.();
        this.lost(h, ev.message || 'the helper worker failed');
      };
      this.helpers.push(h);
    }
    this.load();
  }

  private load() {
    const o = this.offered!;
    this.loading = { serial: o.serial, left: new Set(this.helpers) };
    // Each helper gets its own copy of the bytes (cloned): the worker keeps its own for helpers to come.
    for (const h of this.helpers) this.send(h, { type: 'load', serial: o.serial, pkg: o.pkg });
  }

  private send(h: Helper, m: ToHelper) {
    h.port.postMessage(m);
  }

  private heard(h: Helper, m: FromHelper) {
    if (m.type === 'loaded' || m.type === 'load-failed') {
      const l = this.loading;
      if (!l || l.serial !== m.serial) return;
      if (m.type === 'load-failed') return this.lost(h, `it could not load the model: ${m.message}`);
      h.loaded = m.serial;
      l.left.delete(h);
      if (!l.left.size) {
        this.readyFor = l.serial;
        this.loading = null;
      }
      return;
    }
    h.onBatch?.(m);
  }

  /** A helper died or failed: every helper ends (a batch cannot be half on them), and they stay off for this model. */
  private lost(h: Helper, why: string) {
    if (this.helpers.includes(h)) this.stop(`a helper engine stopped: ${why}`);
  }

  /** Ends every helper; a batch running on them fails (RetryBatch: it runs again here). */
  private stop(why: string | null) {
    const batch = this.helpers.map((x) => x.onBatch);
    for (const h of this.helpers) {
      h.port.onmessage = null;
      h.port.onerror = null;
      h.port.terminate();
    }
    this.helpers = [];
    this.loading = null;
    this.readyFor = 0;
    this.off = why;
    for (const b of batch) b?.({ type: 'failed', message: why ?? 'the helper engines were stopped' });
  }

  /** Helpers holding the offered model, ready for its batches (0 while they start or load, and when off). */
  get readyEngines(): number {
    return this.offered && this.readyFor === this.offered.serial && !this.off ? this.helpers.length : 0;
  }

  /** Why the helpers stopped for this model, or null. */
  get stopped(): string | null {
    return this.off;
  }

  /** Tests: one helper fails as a crashed worker does. */
  crashOne() {
    const h = this.helpers[0];
    if (h) this.send(h, { type: 'test-crash' });
  }

  private renderOn(
    parts: number[][],
    settings: Partial<RenderSettings>,
    targets: RenderTarget[],
    options: RenderOptions,
  ): Promise<RenderResult> {
    const serial = this.readyFor;
    const helpers = this.helpers.slice(0, parts.length);
    const started = Date.now();
    return new Promise<RenderResult>((resolve, reject) => {
      const waiting = new Set<Helper>();
      const snaps = new Map<number, Map<Helper, Snapshot>>();
      const done = new Map<Helper, Extract<FromHelper, { type: 'done' }>>();
      const cancelled = new Set<Helper>();
      let last: Snapshot | null = null;
      let stopping: { error: unknown } | null = null;
      let ended = false;
      const end = (f: () => void) => {
        if (ended) return;
        ended = true;
        for (const h of helpers) h.onBatch = null;
        f();
      };
      const stopAll = (error: unknown) => {
        stopping = { error };
        for (const h of waiting) this.send(h, { type: 'stop' });
        waiting.clear();
      };
      const advance = async () => {
        waiting.clear();
        let error: unknown = null;
        try {
          await options.gate?.();
        } catch (e) {
          error = e;
        }
        if (error || options.signal?.aborted) {
          for (const h of helpers) waiting.add(h);
          return stopAll(error ?? new RenderCancelled());
        }
        for (const h of helpers) this.send(h, { type: 'go' });
      };
      const merged = (per: Map<Helper, Snapshot>): Snapshot => {
        const images: Uint8Array[] = new Array(targets.length);
        const values: number[] = new Array(targets.length);
        let first: Snapshot | null = null;
        helpers.forEach((h, i) => {
          const s = per.get(h)!;
          first ??= s;
          parts[i].forEach((t, k) => {
            images[t] = s.images[k];
            values[t] = s.values[k];
          });
        });
        return { step: first!.step, images, values, width: first!.width, height: first!.height };
      };
      const spread = (per: (h: Helper) => number[]) => {
        const out: number[] = new Array(targets.length);
        helpers.forEach((h, i) => per(h).forEach((v, k) => (out[parts[i][k]] = v)));
        return out;
      };
      helpers.forEach((h) => {
        h.onBatch = (m) => {
          switch (m.type) {
            case 'step':
              if (stopping) return this.send(h, { type: 'stop' });
              waiting.add(h);
              if (waiting.size === helpers.length) void advance();
              return;
            case 'snapshot': {
              const per = snaps.get(m.snap.step) ?? new Map<Helper, Snapshot>();
              per.set(h, m.snap);
              snaps.set(m.snap.step, per);
              if (per.size === helpers.length) {
                snaps.delete(m.snap.step);
                last = merged(per);
                options.onSnapshot?.(last);
              }
              return;
            }
            case 'done':
              done.set(h, m);
              if (done.size === helpers.length)
                end(() => {
                  const curve = done.get(helpers[0])!.curve.map((c, ci) => ({
                    step: c.step,
                    values: spread((x) => done.get(x)!.curve[ci].values),
                  }));
                  resolve({
                    final: last!,
                    cleanValues: spread((x) => done.get(x)!.cleanValues),
                    curve,
                    seconds: (Date.now() - started) / 1000,
                  });
                });
              return;
            case 'cancelled':
              cancelled.add(h);
              if (cancelled.size === helpers.length) end(() => reject(stopping?.error ?? new RenderCancelled()));
              return;
            case 'failed':
              end(() => {
                // The others may still be mid-step: they end with the rest (lost), so nothing is left running.
                if (this.helpers.includes(h)) this.lost(h, m.message);
                reject(new RetryBatch(`${m.message}; the batch runs again on the worker's own engine`));
              });
              return;
          }
        };
      });
      for (const [i, h] of helpers.entries())
        this.send(h, {
          type: 'render',
          serial,
          settings,
          targets: parts[i].map((t) => targets[t]),
          curveEvery: options.curveEvery ?? 0,
        });
    });
  }
}
