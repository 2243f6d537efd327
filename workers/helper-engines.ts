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
import { render as renderLocally, type RenderResult, type RenderTarget } from '../src/lib/engine/render.ts';
import { targetGroups } from '../src/lib/engine/objective-builder.ts';
import { DEFAULT_SETTINGS, type RenderSettings } from '../src/lib/engine/render-settings.ts';
import type { RenderOptions } from '../src/lib/engine/render-vis.ts';
import type { BatchNews, FromHelper, HelperPort, ModelPackage, ToHelper } from './helper-protocol.ts';
import { LockstepBatch } from './lockstep-batch.ts';

/**
 * A helper as started: its channel, and how to end it. `onerror` fires when it dies (a Worker's error event, whose
 * default — passing the error on to this worker's own scope, which the page takes for this worker's crash — is
 * prevented).
 */
export interface SpawnedHelper extends HelperPort {
  terminate(): void;
  onerror: ((ev: { message?: string; preventDefault?(): void }) => void) | null;
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
  /** Where the news of each batch it holds goes, by batch. */
  batches: Map<number, (m: BatchNews) => void>;
}

export class HelperEngines {
  private helpers: Helper[] = [];
  private offered: { model: FeatureModel; serial: number; pkg: ModelPackage } | null = null;
  private serial = 0;
  private readyFor = 0;
  /** Helpers still loading the offered model. */
  private loading: Set<Helper> | null = null;
  private off: string | null = null;
  private batchSerial = 0;

  constructor(
    private readonly options: {
      spawn: () => SpawnedHelper;
      /** How many helpers (0 or 1: none). */
      count: number;
      /**
       * A helper silent this long while it computes is taken for stuck: the helpers end and its batch runs again on
       * the worker's own engine. A step takes milliseconds to a few seconds (1024 px, a deep layer).
       */
      stallMs?: number;
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

  /**
   * Runs a batch: on the helpers when they hold this model and it has at least two groups, else on this engine. A
   * batch that was outranked may be waiting on the helpers (scheduler.ts): they hold both, and step the one that runs.
   */
  render(model: FeatureModel, settings: Partial<RenderSettings>, targets: RenderTarget[], options: RenderOptions): BatchRun {
    const objective = settings.objective ?? DEFAULT_SETTINGS.objective;
    const parts = splitGroups(targetGroups(objective, targets), this.helpers.length || this.options.count);
    const usable = this.offered?.model === model && !this.off && parts.length > 1;
    if (usable && !this.helpers.length) this.start();
    if (!usable || !this.readyEngines) return { engines: 1, result: renderLocally(model, settings, targets, options) };
    return { engines: parts.length, result: this.renderOn(parts, settings, targets, options) };
  }

  private start() {
    for (let i = 0; i < this.options.count; i++) {
      const h: Helper = { port: this.options.spawn(), batches: new Map() };
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
    this.loading = new Set(this.helpers);
    // Each helper gets its own copy of the bytes (cloned): the worker keeps its own for helpers to come.
    for (const h of this.helpers) this.send(h, { type: 'load', serial: o.serial, pkg: o.pkg });
  }

  private send(h: Helper, m: ToHelper) {
    h.port.postMessage(m);
  }

  private heard(h: Helper, m: FromHelper) {
    if (m.type === 'loaded' || m.type === 'load-failed') {
      // An answer about a model offered before the one now is stale: the helper loads the new one next.
      if (!this.loading || m.serial !== this.offered?.serial) return;
      if (m.type === 'load-failed') return this.lost(h, `it could not load the model: ${m.message}`);
      this.loading.delete(h);
      if (!this.loading.size) {
        this.readyFor = m.serial;
        this.loading = null;
      }
      return;
    }
    h.batches.get(m.batch)?.(m);
  }

  /** A helper died or failed: every helper ends (a batch cannot be half on them), and they stay off for this model. */
  private lost(h: Helper, why: string) {
    if (this.helpers.includes(h)) this.stop(`a helper engine stopped: ${why}`);
  }

  /** Ends every helper; a batch running on them fails (RetryBatch: it runs again here). */
  private stop(why: string | null) {
    const batches = this.helpers.flatMap((x) => [...x.batches]);
    for (const h of this.helpers) {
      h.port.onmessage = null;
      h.port.onerror = null;
      h.port.terminate();
    }
    this.helpers = [];
    this.loading = null;
    this.readyFor = 0;
    this.off = why;
    for (const [batch, tell] of batches) tell({ batch, type: 'failed', message: why ?? 'the helper engines were stopped' });
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
    const crew = this.helpers.slice(0, parts.length);
    const id = ++this.batchSerial;
    const stallMs = this.options.stallMs ?? 60_000;
    const batch = new LockstepBatch(parts, targets.length, options, (i, m) => this.send(crew[i], { ...m, batch: id }), {
      ms: stallMs,
      stalled: (i) => this.lost(crew[i], `it did not answer for ${(stallMs / 1000).toFixed(0)} s`),
    });
    crew.forEach((h, i) => {
      h.batches.set(id, (m) => {
        // A helper that failed takes the others with it (nothing is left running half a batch): lost().
        if (m.type === 'failed' && this.helpers.includes(h)) this.lost(h, m.message);
        else batch.heard(i, m);
      });
      this.send(h, {
        type: 'render',
        batch: id,
        serial,
        settings,
        targets: parts[i].map((t) => targets[t]),
        curveEvery: options.curveEvery ?? 0,
      });
    });
    return batch.result.finally(() => crew.forEach((h) => h.batches.delete(id)));
  }
}
