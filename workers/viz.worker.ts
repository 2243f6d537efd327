/**
 * The visualization worker: owns TensorFlow.js, the engine, the loaded model and the job queue. It talks to the page
 * only through the messages in src/lib/protocol.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { FeatureModel } from '../src/lib/engine/model.ts';
import { render, RenderCancelled } from '../src/lib/engine/render.ts';
import type { BackendChoice, FromWorker, Job, ToWorker } from '../src/lib/protocol.ts';
import { JobQueue } from '../src/lib/queue.ts';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

const MAX_BATCH = 8;
const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

const queue = new JobQueue();
let model: FeatureModel | null = null;
let modelSource: { modelId: string; baseUrl: string; info: FeatureModel['info'] } | null = null;
let backend = 'none';
let paused = false;
let resumeWaiters: (() => void)[] = [];
let running: { jobs: Job[]; cancelled: Set<string>; abort: AbortController } | null = null;
let msPerStep = 0;
let loopActive = false;

/** The GPU behind WebGL2 in this worker, if any, and whether it is software. */
function probeWebgl(): { available: boolean; renderer: string | null; software: boolean } {
  try {
    const canvas = new OffscreenCanvas(1, 1);
    const gl = canvas.getContext('webgl2') as WebGL2RenderingContext | null;
    if (!gl) return { available: false, renderer: null, software: false };
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { available: true, renderer, software: /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer) };
  } catch {
    return { available: false, renderer: null, software: false };
  }
}

async function init(choice: BackendChoice) {
  const gl = probeWebgl();
  let want: string[];
  let note: string | null = null;
  if (choice === 'auto') {
    if (gl.available && !gl.software) want = ['webgl', 'wasm', 'cpu'];
    else {
      want = ['wasm', 'cpu'];
      note = gl.available ? `WebGL is software-rendered (${gl.renderer}); wasm is faster here` : 'no WebGL2 in this worker';
    }
  } else want = [choice, 'wasm', 'cpu'];
  for (const name of want) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        backend = name;
        break;
      }
    } catch {
      /* next */
    }
  }
  if (backend !== want[0]) note = `${want[0]} could not start; using ${backend}${note ? ` (${note})` : ''}`;
  post({ type: 'ready', backend, renderer: backend === 'webgl' ? gl.renderer : gl.renderer ? `${gl.renderer} (not used)` : null, note });
}

async function loadModel(modelId: string, baseUrl: string, info: FeatureModel['info']) {
  const readFile = async (rel: string) => {
    const url = new URL(rel, new URL(baseUrl, self.location.href)).href;
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new Error(`${url}: ${(e as Error).message}`);
    }
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
    return res.arrayBuffer();
  };
  try {
    const loaded = await FeatureModel.load(readFile, info);
    // Only now replace the previous model: a failed load leaves the working one in place.
    model?.dispose();
    model = loaded;
    modelSource = { modelId, baseUrl, info };
    post({ type: 'model', modelId, layers: loaded.layers, inputShape: loaded.inputShape });
  } catch (e) {
    post({ type: 'model-error', modelId, message: (e as Error).message });
  }
  pump();
}

function postQueue() {
  const stepsRunning = running ? running.jobs[0].settings.steps : 0;
  post({
    type: 'queue',
    state: {
      pending: queue.size,
      running: running ? running.jobs.length - running.cancelled.size : 0,
      paused,
      msPerStep,
      stepsLeft: queue.stepsLeft(MAX_BATCH) + stepsRunning,
    },
  });
}

const gate = () => (paused ? new Promise<void>((r) => resumeWaiters.push(r)) : undefined);

async function runBatch(jobs: Job[]) {
  const abort = new AbortController();
  running = { jobs, cancelled: new Set(), abort };
  postQueue();
  for (const j of jobs) post({ type: 'job-started', id: j.id });
  const s = jobs[0].settings;
  const started = performance.now();
  let lastStep = 0;
  let lastTime = started;
  const thresholds = Array.from({ length: Math.floor(s.steps / 32) }, (_, i) => (i + 1) * 32);
  try {
    const result = await render(
      model!,
      { ...s, layer: jobs[0].layer, thresholds },
      jobs.map((j) => ({ index: j.channel, variant: j.variant })),
      {
        signal: abort.signal,
        gate,
        curveEvery: 8,
        onSnapshot: (snap) => {
          const now = performance.now();
          msPerStep = (now - lastTime) / Math.max(1, snap.step - lastStep);
          lastStep = snap.step;
          lastTime = now;
          jobs.forEach((j, i) => {
            if (running?.cancelled.has(j.id)) return;
            const rgba = snap.images[i];
            post(
              { type: 'snapshot', id: j.id, step: snap.step, steps: s.steps, width: snap.width, height: snap.height, rgba: rgba.buffer as ArrayBuffer, value: snap.values[i] },
              [rgba.buffer],
            );
          });
          postQueue();
        },
      },
    );
    const seconds = (performance.now() - started) / 1000 / jobs.length;
    jobs.forEach((j, i) => {
      if (running?.cancelled.has(j.id)) return;
      post({
        type: 'job-done',
        id: j.id,
        value: result.cleanValues[i],
        curve: result.curve.map((c) => ({ step: c.step, value: c.values[i] })),
        seconds,
        backend,
      });
    });
  } catch (e) {
    if (!(e instanceof RenderCancelled)) {
      const message = (e as Error).message || String(e);
      if (backend === 'webgl' && /context|webgl/i.test(message) && modelSource) {
        // Lost WebGL context: continue on wasm with a freshly loaded model; the batch runs again.
        post({ type: 'error', message: `WebGL failed (${message}); switching to wasm` });
        await init('wasm');
        await loadModel(modelSource.modelId, modelSource.baseUrl, modelSource.info);
        queue.add(jobs.filter((j) => !running?.cancelled.has(j.id)));
      } else {
        for (const j of jobs) post({ type: 'job-failed', id: j.id, message });
      }
    }
  } finally {
    running = null;
    postQueue();
  }
}

async function pump() {
  if (loopActive) return;
  loopActive = true;
  try {
    while (model && !paused && queue.size) {
      const batch = queue.takeBatch(MAX_BATCH).filter((j) => j.modelId === modelSource?.modelId);
      if (batch.length) await runBatch(batch);
    }
  } finally {
    loopActive = false;
    postQueue();
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case 'init':
      void init(m.backend);
      break;
    case 'load-model':
      void loadModel(m.modelId, m.baseUrl, m.info);
      break;
    case 'enqueue':
      queue.add(m.jobs.filter((j) => !running?.jobs.some((r) => r.id === j.id)));
      postQueue();
      void pump();
      break;
    case 'prioritize':
      queue.prioritize(m.ids, m.priority);
      break;
    case 'cancel': {
      queue.remove(m.ids);
      if (running) {
        for (const j of running.jobs) if (m.ids === 'all' || m.ids.includes(j.id)) running.cancelled.add(j.id);
        if (running.cancelled.size === running.jobs.length) {
          running.abort.abort();
          // A paused render waits in its gate; let it reach the abort check.
          resumeWaiters.forEach((r) => r());
          resumeWaiters = [];
        }
      }
      postQueue();
      break;
    }
    case 'pause':
      paused = true;
      postQueue();
      break;
    case 'resume':
      paused = false;
      resumeWaiters.forEach((r) => r());
      resumeWaiters = [];
      postQueue();
      void pump();
      break;
    case 'test-crash':
      setTimeout(() => {
        throw new Error('test-crash: the worker was told to fail');
      });
      break;
  }
};
