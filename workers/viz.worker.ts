/**
 * The visualization worker: owns TensorFlow.js, the engine, the loaded model and the job queue. It talks to the page
 * only through the messages in src/lib/protocol.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { artifactsReader, filesReader, parseModelJson, type ReadFile } from '../src/lib/engine/artifacts.ts';
import { FeatureModel } from '../src/lib/engine/model.ts';
import { render, RenderCancelled } from '../src/lib/engine/render.ts';
import type {
  BackendChoice,
  CheckImage,
  FromWorker,
  InputMapping,
  Job,
  ModelSource,
  RangeCheck,
  ToWorker,
  UserModelInfo,
} from '../src/lib/protocol.ts';
import { JobQueue } from '../src/lib/queue.ts';
import { startBackend } from './backends.ts';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

const MAX_BATCH = 8;
const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

const queue = new JobQueue();
let model: FeatureModel | null = null;
/** Id of the loaded model: only its jobs are taken from the queue. */
let currentModel: string | null = null;
/** Loads the current model again (after a backend switch). */
let reopen: (() => Promise<void>) | null = null;
let backend = 'none';
let paused = false;
let resumeWaiters: (() => void)[] = [];
let running: { jobs: Job[]; cancelled: Set<string>; abort: AbortController } | null = null;
let msPerStep = 0;
let loopActive = false;

async function init(choice: BackendChoice) {
  const ready = await startBackend(choice);
  backend = ready.backend;
  post({ type: 'ready', ...ready });
}

/** A ReadFile over HTTP relative to `baseUrl`, with errors that say what failed (network, CORS, HTTP status). */
function urlReader(baseUrl: string): ReadFile {
  return async (rel) => {
    const url = new URL(rel, new URL(baseUrl, self.location.href)).href;
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new Error(`${url} could not be fetched (network error or blocked by CORS: ${(e as Error).message})`, { cause: e });
    }
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
    return res.arrayBuffer();
  };
}

const STORE_PREFIX = 'indexeddb://featurescope/';

interface Opened {
  read: ReadFile;
  entry: string;
  /** Saved input range and labels, for models kept in the browser. */
  stored?: { inputRange?: [number, number]; normalize?: InputMapping['normalize']; labels?: string[] };
}

/** Turns a source into a ReadFile plus the model.json entry inside it. */
async function openSource(source: ModelSource): Promise<Opened> {
  switch (source.kind) {
    case 'url': {
      const u = new URL(source.url, self.location.href);
      const entry = u.pathname.split('/').pop() || 'model.json';
      return { read: urlReader(u.href.slice(0, u.href.length - entry.length - u.search.length - u.hash.length)), entry };
    }
    case 'files': {
      const json = source.files.find((f) => f.name.endsWith('.json') && f.name !== 'labels.json');
      if (!json) throw new Error('no model.json among the chosen files');
      return { read: filesReader(source.files), entry: json.name };
    }
    case 'stored': {
      const handler = tf.io.getLoadHandlers(STORE_PREFIX + source.name)[0];
      if (!handler?.load) throw new Error(`no stored model named ${source.name}`);
      const a = await handler.load();
      const meta = (a.userDefinedMetadata as { featurescope?: Opened['stored'] } | undefined)?.featurescope;
      return {
        read: artifactsReader({
          modelTopology: a.modelTopology,
          weightSpecs: a.weightSpecs ?? [],
          weightData: tf.io.concatenateArrayBuffers(Array.isArray(a.weightData) ? a.weightData : [a.weightData as ArrayBuffer]),
          format: a.format,
        }),
        entry: 'model.json',
        stored: meta,
      };
    }
  }
}

/** Optional labels.json next to the model (a JSON array of class names). */
async function readLabels(o: Opened): Promise<string[] | undefined> {
  if (o.stored?.labels) return o.stored.labels;
  try {
    const labels = JSON.parse(new TextDecoder().decode(await o.read('labels.json')));
    return Array.isArray(labels) && labels.every((l) => typeof l === 'string') ? labels : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps a loaded package in the browser (TensorFlow.js indexeddb:// storage) with its range and labels. */
async function storeModel(name: string, o: Opened, mapping: InputMapping, labels: string[] | undefined) {
  const json = parseModelJson(new TextDecoder().decode(await o.read(o.entry)), o.entry);
  const dir = o.entry.includes('/') ? o.entry.slice(0, o.entry.lastIndexOf('/') + 1) : '';
  const parts: ArrayBuffer[] = [];
  for (const g of json.weightsManifest) for (const p of g.paths) parts.push(await o.read(dir + p));
  await tf.io.getSaveHandlers(STORE_PREFIX + name)[0].save!({
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    format: json.format,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
    weightData: tf.io.concatenateArrayBuffers(parts),
    userDefinedMetadata: { featurescope: { ...mapping, labels } } as unknown as { [key: string]: object },
  });
}

async function listModels() {
  const all = await tf.io.listModels();
  const models: UserModelInfo[] = [];
  for (const [key, info] of Object.entries(all)) {
    if (!key.startsWith(STORE_PREFIX)) continue;
    const name = key.slice(STORE_PREFIX.length);
    let meta: Opened['stored'];
    try {
      meta = (await openSource({ kind: 'stored', name })).stored;
    } catch {
      meta = undefined;
    }
    models.push({
      name,
      bytes: (info.weightDataBytes ?? 0) + (info.modelTopologyBytes ?? 0),
      saved: new Date(info.dateSaved).toISOString(),
      inputRange: meta?.inputRange ?? [0, 1],
      normalize: meta?.normalize,
      labels: Boolean(meta?.labels?.length),
    });
  }
  post({ type: 'user-models', models });
}

/** Loads a model into the gallery; a failure leaves the previous model in place and says why. */
async function loadModel(modelId: string, open: () => Promise<Opened>, info: FeatureModel['info'], keepAs?: string) {
  try {
    const o = await open();
    const labels = info.labels ?? (await readLabels(o));
    const mapping: InputMapping = info.inputRange
      ? { inputRange: info.inputRange, normalize: info.normalize }
      : { inputRange: o.stored?.inputRange ?? [0, 1], normalize: o.stored?.normalize };
    const fullInfo = { ...info, ...mapping, labels };
    const loaded = await FeatureModel.load(o.read, fullInfo, o.entry);
    if (keepAs) await storeModel(keepAs, o, mapping, labels);
    // Only now replace the previous model: a failed load leaves the working one in place.
    model?.dispose();
    model = loaded;
    reopen = () => loadModel(modelId, open, info);
    currentModel = modelId;
    post({
      type: 'model',
      modelId,
      layers: loaded.layers,
      inputShape: loaded.inputShape,
      labels: labels ?? null,
      // A background class at index 0 shows as one output more than there are labels.
      labelOffset: info.labelOffset ?? (labels && loaded.logitsLayer?.shape[2] === labels.length + 1 ? 1 : 0),
    });
    if (keepAs) void listModels();
    const d = loaded.declaredRange;
    const [lo, hi] = loaded.info.inputRange;
    if (d && (d.range[0] !== lo || d.range[1] !== hi || loaded.info.normalize)) {
      post({
        type: 'notice',
        message: `${modelId.replace(/^user:/, '')} takes [${d.range.join(', ')}]: ${d.why}. It is open with [${lo}, ${hi}]${loaded.info.normalize ? ' and mean/std' : ''}; open it again with [${d.range.join(', ')}] if its images look wrong.`,
      });
    }
  } catch (e) {
    post({ type: 'model-error', modelId, message: (e as Error).message });
  }
  void pump();
}

/** Decodes a range-check image; a file the browser cannot decode is named in the message. */
async function decodeCheckImage(s: CheckImage): Promise<ImageBitmap> {
  const blob = s.blob ?? (await (await fetch(`/samples/${s.name}.jpg`)).blob());
  try {
    return await createImageBitmap(blob);
  } catch {
    throw new Error(`${s.name}: not an image the browser can decode (${blob.type || 'unknown type'}, ${blob.size} bytes)`);
  }
}

async function checkRanges(source: ModelSource, ranges: InputMapping[], samples: CheckImage[]) {
  let m: FeatureModel | null = null;
  try {
    const o = await openSource(source);
    const labels = await readLabels(o);
    m = await FeatureModel.load(o.read, { id: 'range-check', ...ranges[0] }, o.entry);
    const logits = m.logitsLayer;
    if (!logits) throw new Error('the model has no class-score output to check');
    const [h, w] = m.inputShape;
    // Decode every image first, so a bad file leaves no tensors behind.
    const bitmaps: ImageBitmap[] = [];
    try {
      for (const s of samples) bitmaps.push(await decodeCheckImage(s));
    } catch (e) {
      bitmaps.forEach((bm) => bm.close());
      throw e;
    }
    const batch = tf.tidy(
      () =>
        tf.concat(
          bitmaps.map((bm) =>
            tf.image.resizeBilinear(tf.browser.fromPixels(bm).toFloat().div(255).expandDims(0) as tf.Tensor4D, [h, w]),
          ),
        ) as tf.Tensor4D,
    );
    bitmaps.forEach((bm) => bm.close());
    const offset = labels && logits.shape[2] === labels.length + 1 ? 1 : 0;
    const checks: RangeCheck[] = ranges.map((range) => {
      m!.setInputRange(range.inputRange, range.normalize);
      const { values, indices } = tf.tidy(() => {
        const out = m!.forward(batch, [logits.name]).get(logits.name)!;
        const flat = out.reshape([out.shape[0], -1]);
        // Scores that already sum to 1 are probabilities; otherwise they are logits.
        const sums = tf.sum(flat, 1).dataSync();
        const probs = Array.from(sums).every((x) => Math.abs(x - 1) < 1e-3) ? flat : tf.softmax(flat);
        const top = tf.topk(probs, 3);
        return { values: top.values.arraySync() as number[][], indices: top.indices.arraySync() as number[][] };
      });
      return {
        ...range,
        photos: samples.map((s, i) => ({
          photo: s.name,
          top: indices[i].map((k, j) => ({ label: labels?.[k - offset]?.split(',')[0] ?? `class ${k}`, p: values[i][j] })),
        })),
      };
    });
    batch.dispose();
    post({ type: 'range-check', checks, inputShape: m.inputShape, declared: m.declaredRange ?? null });
  } catch (e) {
    post({ type: 'range-check-error', message: (e as Error).message });
  } finally {
    m?.dispose();
  }
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

/** The WebGL backend's context, when that backend runs. */
function webglContext(): WebGL2RenderingContext | null {
  if (backend !== 'webgl') return null;
  return (tf.backend() as unknown as { gpgpu: { gl: WebGL2RenderingContext } }).gpgpu.gl;
}

/** A lost context makes WebGL calls no-ops (zeros, not errors), so it is checked outright, every step. */
function throwIfContextLost() {
  if (webglContext()?.isContextLost()) throw new Error('the WebGL context was lost');
}

const gate = () => {
  throwIfContextLost();
  return paused ? new Promise<void>((r) => resumeWaiters.push(r)) : undefined;
};

async function runBatch(jobs: Job[]) {
  const abort = new AbortController();
  running = { jobs, cancelled: new Set(), abort };
  postQueue();
  for (const j of jobs) post({ type: 'job-started', id: j.id });
  const s = jobs[0].settings;
  const started = performance.now();
  let lastStep = 0;
  let lastTime = started;
  // The first snapshot comes at step 16 (a click shows something quickly), then every 32 steps.
  const thresholds = [16, ...Array.from({ length: Math.floor(s.steps / 32) }, (_, i) => (i + 1) * 32)];
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
              {
                type: 'snapshot',
                id: j.id,
                step: snap.step,
                steps: s.steps,
                width: snap.width,
                height: snap.height,
                rgba: rgba.buffer as ArrayBuffer,
                value: snap.values[i],
              },
              [rgba.buffer],
            );
          });
          postQueue();
        },
      },
    );
    throwIfContextLost();
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
      const gpuFailure =
        (backend === 'webgl' && /context|webgl/i.test(message)) || (backend === 'webgpu' && /device|webgpu|gpu/i.test(message));
      if (gpuFailure && reopen) {
        // Lost WebGL context or WebGPU device: continue on wasm with a freshly loaded model; the batch runs again.
        post({ type: 'error', message: `${backend === 'webgl' ? 'WebGL' : 'WebGPU'} failed (${message}); switching to wasm` });
        await init('wasm');
        await reopen();
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
    while (model && currentModel && !paused) {
      const batch = queue.takeBatch(MAX_BATCH, currentModel);
      if (!batch.length) break;
      await runBatch(batch);
    }
  } finally {
    loopActive = false;
    postQueue();
  }
}

/**
 * Set-up work (backend, model loads, storage) runs one message at a time, in order, so that nothing touches
 * TensorFlow.js before its backend is ready; queue control (enqueue, cancel, pause) is handled at once.
 */
let setup: Promise<unknown> = Promise.resolve();
const inOrder = (work: () => Promise<unknown>) => {
  setup = setup.then(work, work);
};

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case 'init':
      inOrder(() => init(m.backend));
      break;
    case 'load-model':
      inOrder(() => loadModel(m.modelId, async () => ({ read: urlReader(m.baseUrl), entry: 'model.json' }), m.info));
      break;
    case 'open-model': {
      const src = m.source;
      const name = src.kind === 'stored' ? undefined : m.modelId.replace(/^user:/, '');
      const info = { id: m.modelId, ...(m.mapping ?? {}) } as FeatureModel['info'];
      inOrder(() => loadModel(m.modelId, () => openSource(src), info, name));
      break;
    }
    case 'check-ranges':
      inOrder(() => checkRanges(m.source, m.ranges, m.samples));
      break;
    case 'list-models':
      inOrder(listModels);
      break;
    case 'delete-model':
      inOrder(() =>
        tf.io
          .removeModel(STORE_PREFIX + m.name)
          .then(listModels, (e) => post({ type: 'error', message: `could not delete ${m.name}: ${(e as Error).message}` })),
      );
      break;
    case 'rename-model':
      inOrder(() =>
        tf.io
          .moveModel(STORE_PREFIX + m.name, STORE_PREFIX + m.to)
          .then(listModels, (e) => post({ type: 'error', message: `could not rename ${m.name}: ${(e as Error).message}` })),
      );
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
    case 'test-lose-context':
      webglContext()?.getExtension('WEBGL_lose_context')?.loseContext();
      break;
    case 'test-crash':
      setTimeout(() => {
        throw new Error('test-crash: the worker was told to fail');
      });
      break;
  }
};
