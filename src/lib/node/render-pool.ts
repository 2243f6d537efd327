/**
 * Several images at once in Node: one engine per core, each a whole single-threaded TensorFlow.js with its own copy of
 * the model, taking batches from one list. On the 2-core machine two engines of 4 images render 8 images in about
 * 0.83 of the time one two-threaded engine takes for a batch of 8 (BENCHMARKS.md, session 26): XNNPACK's threads
 * share out each convolution, but the engine's own kernels (sampler, FFT, ReLU masks, Adam) run on one thread, and
 * every operation ends in a join; two engines keep both cores busy through all of it. One image cannot be split, so
 * it keeps the threaded engine (`enginesFor`).
 *
 * The main thread's engine is the caller's model (`localEngine`); the others run in worker threads
 * (render-thread.ts, `threadEngine`). A helper that fails to start, or dies, costs speed, not the run: its batch goes
 * back on the list and the engines left finish it.
 */
import { Worker } from 'node:worker_threads';
import type { FeatureModel, Normalization } from '../engine/model.ts';
import type { RenderResult, RenderTarget, Snapshot } from '../engine/render.ts';
import type { RenderSettings } from '../engine/render-settings.ts';
import type { BackendName } from './backend.ts';

export interface Engine {
  /** Resolves when the engine can render (a thread has loaded its model); rejects if it cannot start. */
  ready: Promise<void>;
  render(settings: RenderSettings, targets: RenderTarget[], onSnapshot?: (s: Snapshot) => void): Promise<RenderResult>;
  /** Stops the engine, started or not. */
  close(): void;
}

/** An engine thread died or could not start: its batch can go to another engine. */
export class EngineLost extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'EngineLost';
  }
}

/** Engines started without --engines at most: each holds its own model and heap (tfjs's threaded build stops at 8 too). */
export const DEFAULT_MAX_ENGINES = 8;

/**
 * How many engines render `groups` independent groups of images (a channel and its variants stay together): `asked`
 * if given, else one per core up to DEFAULT_MAX_ENGINES; never more than there are groups.
 */
export function enginesFor(groups: number, cores: number, asked?: number): number {
  return Math.max(1, Math.min(asked ?? Math.min(cores, DEFAULT_MAX_ENGINES), groups));
}

/**
 * Groups of images (a channel and its variants: one group's images are optimized together) into batches of whole
 * groups: `batch` images' worth of groups shared out among `engines`, so 8 single images on 2 engines are batches of 4;
 * never under one group a batch.
 */
export function batchGroups<T>(groups: T[][], batch: number, engines: number): T[][] {
  if (!groups.length) return [];
  const perBatch = Math.max(1, Math.floor(batch / groups[0].length));
  const perEngine = Math.max(1, Math.ceil(Math.min(perBatch, groups.length) / engines));
  const batches: T[][] = [];
  for (let i = 0; i < groups.length; i += perEngine) batches.push(groups.slice(i, i + perEngine).flat());
  return batches;
}

/** The caller's own model on the main thread. */
export function localEngine(model: FeatureModel): Engine {
  return {
    ready: Promise.resolve(),
    render: async (settings, targets, onSnapshot) => {
      const { render } = await import('../engine/render.ts');
      return render(model, settings, targets, { onSnapshot });
    },
    close: () => {},
  };
}

/** What a render thread needs to load the same model as the main thread. */
export interface ThreadSpec {
  /** --model as given: a registry id or a path. */
  model: string;
  inputRange?: [number, number];
  normalize?: Normalization;
  /** The backends to try, in order (the main thread's choice). */
  backends?: BackendName[];
}

export type ToThread =
  { type: 'init'; spec: ThreadSpec } | { type: 'render'; id: number; settings: RenderSettings; targets: RenderTarget[] };
export type FromThread =
  | { type: 'ready' }
  | { type: 'snapshot'; id: number; snapshot: Snapshot }
  | { type: 'result'; id: number; result: RenderResult }
  | { type: 'error'; id?: number; name: string; message: string };

/** An error as the thread reported it, with its name kept (the CLI prints known kinds without a stack). */
function errorFrom(m: { name: string; message: string }): Error {
  const e = new Error(m.message);
  e.name = m.name;
  return e;
}

/** A render thread that loads the model as it starts; `ready` rejects with the thread's own error if it cannot. */
export function threadEngine(spec: ThreadSpec): Engine {
  const entry = new URL('./render-thread.ts', import.meta.url).href;
  // The thread loads TypeScript the way this process does: tsx, registered in the thread before the entry loads.
  const boot = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true });
  const pending = new Map<number, { resolve(r: RenderResult): void; reject(e: Error): void; onSnapshot?(s: Snapshot): void }>();
  let nextId = 0;
  let lost: Error | null = null;
  let started!: { resolve(): void; reject(e: Error): void };
  const ready = new Promise<void>((resolve, reject) => (started = { resolve, reject }));
  ready.catch(() => {}); // a failed start is reported through runBatches, not as an unhandled rejection
  const lose = (e: Error) => {
    lost ??= e;
    started.reject(lost);
    for (const p of pending.values()) p.reject(lost);
    pending.clear();
  };
  worker.on('message', (m: FromThread) => {
    if (m.type === 'ready') return started.resolve();
    if (m.type === 'error' && m.id === undefined) {
      lose(errorFrom(m));
      void worker.terminate();
      return;
    }
    const p = pending.get(m.id!);
    if (!p) return;
    if (m.type === 'snapshot') return p.onSnapshot?.(m.snapshot);
    pending.delete(m.id!);
    if (m.type === 'result') p.resolve(m.result);
    else p.reject(errorFrom(m));
  });
  worker.on('error', (e) => lose(new EngineLost(`render thread failed: ${e.message}`)));
  worker.on('exit', (code) => lose(new EngineLost(`render thread stopped (exit code ${code})`)));
  worker.postMessage({ type: 'init', spec } satisfies ToThread);
  return {
    ready,
    render: (settings, targets, onSnapshot) =>
      new Promise<RenderResult>((resolve, reject) => {
        if (lost) return reject(lost);
        const id = nextId++;
        pending.set(id, { resolve, reject, onSnapshot });
        worker.postMessage({ type: 'render', id, settings, targets } satisfies ToThread);
      }),
    close: () => {
      lose(new EngineLost('closed'));
      void worker.terminate();
    },
  };
}

export interface BatchHandlers {
  onSnapshot?(batch: number, s: Snapshot): void;
  /** Called once per batch, in the order batches finish. */
  onResult(batch: number, result: RenderResult): Promise<void> | void;
  /** An engine could not start or was lost; the run goes on without it. */
  onEngineLost?(why: string): void;
}

/**
 * Renders every batch on the engines, each taking the next batch not yet taken; an engine still starting joins when it
 * is ready. A lost engine's batch goes back on the list for the others (which wait while batches are still out, in
 * case one comes back). A render's own error (bad settings, a model that cannot run) ends the run: it would fail on
 * every engine. Every engine is closed when the run ends, started or not.
 */
export async function runBatches(
  engines: Engine[],
  settings: RenderSettings,
  batches: RenderTarget[][],
  handlers: BatchHandlers,
): Promise<void> {
  if (!batches.length) return;
  if (!engines.length) throw new Error('runBatches: no engines');
  const todo = batches.map((_, i) => i);
  let out = 0; // batches being rendered
  let alive = engines.length;
  // A holder, not a plain variable: it is set inside the engines' loops, and read after the await below.
  const run: { failed: { error: unknown } | null } = { failed: null };
  let settle!: () => void;
  const over = new Promise<void>((resolve) => (settle = resolve));
  const waiting: (() => void)[] = [];
  /** Something changed (a batch finished or came back, an engine went): the run may be over, or work may be back. */
  const changed = () => {
    if (run.failed || (!todo.length && !out) || !alive) settle();
    for (const w of waiting.splice(0)) w();
  };
  const drive = async (engine: Engine) => {
    try {
      await engine.ready;
    } catch (e) {
      if (!run.failed && (todo.length || out)) handlers.onEngineLost?.((e as Error).message);
      alive--;
      return changed();
    }
    while (!run.failed && (todo.length || out)) {
      if (!todo.length) {
        await new Promise<void>((resolve) => waiting.push(resolve));
        continue;
      }
      const batch = todo.shift()!;
      out++;
      try {
        const result = await engine.render(settings, batches[batch], (s) => handlers.onSnapshot?.(batch, s));
        await handlers.onResult(batch, result);
      } catch (e) {
        if (e instanceof EngineLost) {
          todo.unshift(batch);
          if (!run.failed) handlers.onEngineLost?.(e.message);
          break;
        }
        run.failed ??= { error: e };
      } finally {
        out--;
        changed();
      }
    }
    alive--;
    changed();
  };
  for (const e of engines) void drive(e);
  await over;
  for (const e of engines) e.close();
  if (run.failed) throw run.failed.error;
  if (todo.length) throw new EngineLost(`no engine left to render ${todo.length} batch(es)`);
}
