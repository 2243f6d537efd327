/**
 * A helper engine's side of helper-protocol.ts: loads the model it is sent and renders its part of a batch, one step
 * per "go". No DOM and no worker globals: render-helper.worker.ts serves it on the worker's own channel, unit tests
 * on a MessagePort.
 */
import type { ReadFile } from '../src/lib/engine/artifacts.ts';
import { FeatureModel } from '../src/lib/engine/model.ts';
import { render, RenderCancelled } from '../src/lib/engine/render.ts';
import type { FromHelper, HelperPort, ModelPackage, ToHelper } from './helper-protocol.ts';

/** The files of a package held in memory, read as the load reads them. */
export function packageReader(files: [string, ArrayBuffer][]): ReadFile {
  const byPath = new Map(files);
  return async (rel, maxBytes) => {
    const b = byPath.get(rel);
    if (!b) throw new Error(`${rel} is not in the package the helper was sent`);
    if (maxBytes !== undefined && b.byteLength > maxBytes) throw new Error(`${b.byteLength} bytes, more than ${maxBytes}`);
    return b;
  };
}

/**
 * Answers the visualization worker on `port`. `ready`: the backend has started (nothing touches TensorFlow.js
 * before). Loads and the starts of renders go in the order they came: a render starts once the loads before it are
 * done, a load once the renders before it have ended. Renders may overlap (each steps only on its own "go"); "go"
 * and "stop" act at once.
 */
export function serveHelper(port: HelperPort, ready: Promise<unknown>): void {
  const post = (m: FromHelper, transfer: Transferable[] = []) => port.postMessage(m, transfer);
  // A backend that did not start is each load's to report (load-failed), not an unhandled rejection.
  ready.catch(() => undefined);
  let model: { serial: number; model: FeatureModel } | null = null;
  let work: Promise<unknown> = Promise.resolve();
  const inOrder = (job: () => Promise<unknown>) => (work = work.then(job, job));
  /** Renders started and not ended, by batch: how to let each take its next step, and how to stop it. */
  const runs = new Map<number, { go: (() => void) | null; abort: AbortController }>();
  /** Renders asked for and not ended (a load waits for them). */
  const active = new Set<Promise<void>>();

  async function load(serial: number, pkg: ModelPackage) {
    try {
      await ready;
      const next = await FeatureModel.load(packageReader(pkg.files), pkg.info, pkg.entry);
      model?.model.dispose();
      model = { serial, model: next };
      post({ type: 'loaded', serial });
    } catch (e) {
      post({ type: 'load-failed', serial, message: (e as Error)?.message || String(e) });
    }
  }

  async function run(m: Extract<ToHelper, { type: 'render' }>) {
    const batch = m.batch;
    if (model?.serial !== m.serial) return post({ batch, type: 'failed', message: 'the helper does not hold that model' });
    const me = { go: null as (() => void) | null, abort: new AbortController() };
    runs.set(batch, me);
    let step = 0;
    try {
      const r = await render(model.model, m.settings, m.targets, {
        signal: me.abort.signal,
        curveEvery: m.curveEvery,
        gate: () =>
          me.abort.signal.aborted
            ? undefined
            : new Promise<void>((resolve) => {
                me.go = resolve;
                post({ batch, type: 'step', step: ++step });
              }),
        onSnapshot: (snap) =>
          post(
            { batch, type: 'snapshot', snap },
            snap.images.map((i) => i.buffer as ArrayBuffer),
          ),
      });
      post({ batch, type: 'done', cleanValues: r.cleanValues, curve: r.curve });
    } catch (e) {
      if (e instanceof RenderCancelled) post({ batch, type: 'cancelled' });
      else post({ batch, type: 'failed', message: (e as Error)?.message || String(e) });
    } finally {
      runs.delete(batch);
    }
  }

  /** Starts a render once the loads before it are done; the next load waits until it has ended. */
  function start(m: Extract<ToHelper, { type: 'render' }>) {
    let end!: () => void;
    const ended = new Promise<void>((r) => (end = r));
    active.add(ended);
    inOrder(async () => {
      void run(m).finally(() => {
        active.delete(ended);
        end();
      });
    });
  }

  port.onmessage = (ev: MessageEvent<ToHelper>) => {
    const m = ev.data;
    switch (m.type) {
      case 'load': {
        const before = [...active];
        inOrder(async () => {
          await Promise.all(before);
          await load(m.serial, m.pkg);
        });
        break;
      }
      case 'render':
        start(m);
        break;
      case 'go':
      case 'stop': {
        const r = runs.get(m.batch);
        if (!r) break;
        if (m.type === 'stop') r.abort.abort();
        const g = r.go;
        r.go = null;
        g?.();
        break;
      }
      case 'test-crash':
        setTimeout(() => {
          throw new Error('test-crash: the helper was told to fail');
        });
        break;
    }
  };
}
