/**
 * A render thread of node/render-pool.ts: its own TensorFlow.js, single-threaded (the pool's engines are the
 * parallelism), and its own copy of the model. Messages: `init` once (load the model, answer `ready` or an error
 * without an id), then `render` per batch (snapshots, then a result or an error with the batch's id).
 */
// First: tfjs's Node bundles load with a pthread pool of the threads used and without source maps (tfjs-load-hook.ts).
import './tfjs-load-hook.ts';
import { parentPort } from 'node:worker_threads';
import type { FromThread, ThreadSpec, ToThread } from './render-pool.ts';
import type { FeatureModel } from '../engine/model.ts';

const port = parentPort!;
const post = (m: FromThread) => port.postMessage(m);
const failure = (e: unknown) => {
  const err = e as Error;
  return { name: err?.name ?? 'Error', message: err?.message ?? String(e) };
};

let model: FeatureModel | null = null;

async function init(s: ThreadSpec): Promise<void> {
  const [{ useBackend }, { loadModel }] = await Promise.all([import('./backend.ts'), import('./load-model.ts')]);
  await useBackend(s.backends, 1);
  model = await loadModel(s.model, s.inputRange, s.normalize);
}

// One message at a time, in order: a render waits for the model.
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: ToThread) => {
  queue = queue.then(async () => {
    if (m.type === 'init') {
      try {
        await init(m.spec);
        post({ type: 'ready' });
      } catch (e) {
        post({ type: 'error', ...failure(e) });
      }
      return;
    }
    try {
      const { render } = await import('../engine/render.ts');
      const result = await render(model!, m.settings, m.targets, {
        onSnapshot: (snapshot) => post({ type: 'snapshot', id: m.id, snapshot }),
      });
      post({ type: 'result', id: m.id, result });
    } catch (e) {
      post({ type: 'error', id: m.id, ...failure(e) });
    }
  });
});
