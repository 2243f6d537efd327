/**
 * The visualization worker: owns TensorFlow.js, the engine, the loaded model and the job queue. It talks to the page
 * only through the messages in src/lib/protocol.ts, one handler per message type. Its parts: backends.ts (which
 * backend runs), sources.ts and model-store.ts (where models come from and are kept), range-check.ts, scheduler.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { labelOffset } from '../src/lib/engine/classes.ts';
import { FeatureModel, type ModelInfo } from '../src/lib/engine/model.ts';
import type { FromWorker, InputMapping, LoadSpec, ToWorker } from '../src/lib/protocol.ts';
import { gpuLost, startBackend, webglContext } from './backends.ts';
import { batchLimit } from './batch-size.ts';
import { ModelStore } from './model-store.ts';
import { checkRanges } from './range-check.ts';
import { attackLab, convolveLab, Inversions } from './photo-lab.ts';
import { PhotoSet } from './photo-set.ts';
import { isBackendBroken, Scheduler } from './scheduler.ts';
import { RenderClaims } from './render-claims.ts';
import { RenderTurn } from './render-turn.ts';
import { openSource, readLabels, rememberReads, urlReader, type Opened, type RememberingRead } from './sources.ts';
import { HelperEngines, type SpawnedHelper } from './helper-engines.ts';
import type { ModelPackage } from './helper-protocol.ts';
import { readPackage } from '../src/lib/engine/artifacts.ts';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);
const page = self.location.href;
const store = new ModelStore();

/** `pkg`: the files the model was loaded from, for the helper engines (null: not for them — another backend, too large). */
type Loaded = { model: FeatureModel; key: string; spec: LoadSpec; pkg: ModelPackage | null };
let loaded: Loaded | null = null;
let backend = 'none';
/** The running backend is a software-rendered GPU (its batches stay small: batch-size.ts). */
let softwareGpu = false;
const photos = new PhotoSet(post, () => loaded);
const inversions = new Inversions(post);

/**
 * Batches of several channels on wasm render on one single-threaded helper engine per core (helper-engines.ts), at
 * most 4 (each holds its own model and wasm memory; more than 2 have not been measured). One core: none.
 */
const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1;
const helpers = new HelperEngines({
  count: cores > 1 ? Math.min(cores, 4) : 0,
  spawn: () => new Worker(new URL('./render-helper.worker.ts', import.meta.url), { type: 'module' }) as unknown as SpawnedHelper,
});
/** A package larger than this is not copied into helpers: its batches stay on this engine. */
const MAX_HELPER_PACKAGE_BYTES = 128 * 1024 * 1024;

const locks = typeof navigator !== 'undefined' && navigator.locks ? navigator.locks : null;
/** One computation at a time across the tabs: render batches, and the photo work here (render-turn.ts). */
const turn = new RenderTurn(locks);
const scheduler = new Scheduler(
  {
    post,
    model: () => loaded,
    backend: () => backend,
    batchLimit: (size) => batchLimit(backend, softwareGpu, size),
    gpuLost,
    async gpuFailed(message) {
      if (!loaded || (backend !== 'webgl' && backend !== 'webgpu')) return false;
      // Lost WebGL context or WebGPU device: continue on wasm with the model loaded again; the batch runs again.
      post({ type: 'error', message: `${backend === 'webgl' ? 'WebGL' : 'WebGPU'} failed (${message}); switching to wasm` });
      await init('wasm', true);
      const spec = loaded.spec;
      loaded.model.dispose();
      loaded = null;
      try {
        loaded = await open(spec, null);
        helpers.offer(loaded.model, loaded.pkg);
        return true;
      } catch (e) {
        post({ type: 'broken', message: `could not load the model again on wasm: ${(e as Error).message}` });
        return false;
      }
    },
    broken: (message) => post({ type: 'broken', message }),
    render: (model, settings, targets, options) => helpers.render(model, settings, targets, options),
  },
  // Tabs of the studio share renders: a render one tab's worker has claimed waits in the others (render-claims.ts).
  new RenderClaims(locks),
  // One batch computes at a time across the tabs: two at once ran twice the threads the machine has (render-turn.ts).
  turn,
);

async function init(...args: Parameters<typeof startBackend>) {
  const ready = await startBackend(...args);
  backend = ready.backend;
  softwareGpu = ready.software;
  post({ type: 'ready', ...ready });
}

/**
 * Where a spec's files come from (nothing read yet), through a reader that fetches each file once: the load, a read
 * ahead and keeping a person's model all share its bytes.
 */
type Remembered = Opened & { read: RememberingRead };

async function opened(spec: LoadSpec): Promise<Remembered> {
  const o =
    spec.kind === 'registry'
      ? { read: urlReader(new URL(spec.baseUrl, page)), entry: 'model.json' }
      : await openSource(spec.source, store, page);
  return { ...o, read: rememberReads(o.read) };
}

/**
 * A model from the network (the registry, a URL) starts downloading as soon as it is asked for, while the backend may
 * still be starting and the model before it loading: the load then awaits the same source and reads the same bytes.
 */
function readAhead(spec: LoadSpec): Promise<Remembered> | null {
  if (spec.kind === 'user' && spec.source.kind !== 'url') return null;
  const ahead = opened(spec);
  // Errors (a URL that is not one, an unreadable file) are the load's to report, when it awaits the same promise.
  ahead.then((o) => readPackage(o.read, o.entry)).catch(() => undefined);
  return ahead;
}

/** Reads and builds the model a spec names (nothing replaced yet); keeps a person's model when the spec asks. */
async function open(spec: LoadSpec, ahead: Promise<Remembered> | null): Promise<Loaded> {
  const o = await (ahead ?? opened(spec));
  const info: ModelInfo = spec.kind === 'registry' ? spec.info : ({ id: spec.modelId, ...(spec.mapping ?? {}) } as ModelInfo);
  const labels = info.labels ?? (await readLabels(o));
  const mapping: InputMapping = info.inputRange
    ? { inputRange: info.inputRange, normalize: info.normalize }
    : { inputRange: o.stored?.inputRange ?? [0, 1], normalize: o.stored?.normalize };
  const loadInfo: ModelInfo = { ...info, ...mapping, labels };
  const model = await FeatureModel.load(o.read, loadInfo, o.entry);
  // What the helper engines load the same model from (on wasm only: they run no other backend).
  const files = backend === 'wasm' ? o.read.held() : [];
  const bytes = files.reduce((n, [, b]) => n + b.byteLength, 0);
  const pkg = files.length && bytes <= MAX_HELPER_PACKAGE_BYTES ? { entry: o.entry, files, info: loadInfo } : null;
  // A person's model is known by its bytes and the range it is fed: the same bytes under another range render
  // other images, so they are cached apart.
  const key = spec.kind === 'registry' ? spec.modelId : `user:${model.contentHash}@${mappingKey(mapping)}`;
  try {
    if (spec.kind === 'user' && spec.keepAs) {
      const origin = spec.source.kind === 'url' ? new URL(spec.source.url, page).href : undefined;
      await store.save(spec.keepAs, o, { ...mapping, labels, key, origin });
      void listModels();
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, key, spec, pkg };
}

/** Loads a model into the gallery; a failure leaves the previous model in place and says why. */
async function load(req: number, spec: LoadSpec, ahead: Promise<Remembered> | null) {
  try {
    const next = await open(spec, ahead);
    // Only now replace the previous model: a failed load leaves the working one in place.
    loaded?.model.dispose();
    loaded = next;
    helpers.offer(next.model, next.pkg);
    const m = next.model;
    const labels = m.info.labels;
    post({
      type: 'model',
      req,
      modelId: spec.modelId,
      key: next.key,
      layers: m.layers,
      inputShape: m.inputShape,
      labels: labels ?? null,
      labelOffset: labelOffset(m.logitsLayer?.shape[2] ?? 0, labels, m.info.labelOffset),
    });
    const d = m.declaredRange;
    const [lo, hi] = m.info.inputRange;
    if (d && (d.range[0] !== lo || d.range[1] !== hi || m.info.normalize)) {
      post({
        type: 'notice',
        message: `${spec.modelId.replace(/^user:/, '')} takes [${d.range.join(', ')}]: ${d.why}. It is open with [${lo}, ${hi}]${m.info.normalize ? ' and mean/std' : ''}; open it again with [${d.range.join(', ')}] if its images look wrong.`,
      });
    }
  } catch (e) {
    post({ type: 'model-error', req, modelId: spec.modelId, message: (e as Error).message });
    if (isBackendBroken(e)) post({ type: 'broken', message: (e as Error).message });
  }
  void scheduler.pump();
}

function mappingKey(m: InputMapping): string {
  const n = m.normalize;
  return `${m.inputRange.join(',')}${n ? `;${n.mean.join(',')};${n.std.join(',')}` : ''}`;
}

async function listModels() {
  try {
    post({ type: 'user-models', models: await store.list() });
  } catch (e) {
    post({ type: 'error', message: `could not list the kept models: ${(e as Error).message}` });
  }
}

/** A photo-lab request on the loaded model; its result (or a clear error) goes back with the same number. */
async function lab(req: number, work: (m: FeatureModel) => Promise<Extract<FromWorker, { type: 'convolved' | 'attacked' }>>) {
  if (!loaded) return post({ type: 'lab-error', req, message: 'no model is loaded yet' });
  try {
    const r = await work(loaded.model);
    if (r.type === 'convolved') {
      const l = r.lab;
      const buffers = [l.gray.buffer, l.output.values.buffer, ...(l.maps?.channels.map((c) => c.buffer) ?? [])];
      post(r, buffers as ArrayBuffer[]);
    } else post(r, [r.result.original.buffer, r.result.adversarial.buffer] as ArrayBuffer[]);
  } catch (e) {
    post({ type: 'lab-error', req, message: (e as Error).message });
  }
}

function photoFailure(e: unknown) {
  post({ type: 'error', message: `photo set: ${(e as Error).message}` });
}

/**
 * Set-up work (backend, model loads, storage) runs one message at a time, in order, so that nothing touches
 * TensorFlow.js before its backend is ready; queue control (enqueue, cancel, pause) is handled at once.
 */
let setup: Promise<unknown> = Promise.resolve();
const inOrder = (work: () => Promise<unknown>) => {
  setup = setup.then(work, work);
};

/** The photo set's storage work (adding, removing) runs in its own order: it does not touch TensorFlow.js. */
let photoWork: Promise<unknown> = Promise.resolve();
const photosInOrder = (work: () => Promise<unknown>) => {
  photoWork = photoWork.then(work, work);
};

type Handlers = { [T in ToWorker['type']]: (m: Extract<ToWorker, { type: T }>) => void };

const handlers: Handlers = {
  init: (m) => {
    inversions.stop('the backend changed');
    inOrder(() => init(m.backend, m.probeGpu, m.gpus));
  },
  load: (m) => {
    // A summary of the photo set for the model being replaced stops at its next batch, an inversion at its next step.
    photos.interrupt('indexing');
    inversions.stop('another model was opened');
    const ahead = readAhead(m.spec);
    inOrder(() => load(m.req, m.spec, ahead));
  },
  'check-ranges': (m) =>
    inOrder(() =>
      checkRanges(() => openSource(m.source, store, page), m.ranges, m.samples).then(
        (r) => post({ ...r, req: m.req }),
        (e) => post({ type: 'range-check-error', req: m.req, message: (e as Error).message }),
      ),
    ),
  'list-models': () => inOrder(listModels),
  'delete-model': (m) =>
    inOrder(() =>
      store
        .remove(m.name)
        .then(listModels, (e) => post({ type: 'error', message: `could not delete ${m.name}: ${(e as Error).message}` })),
    ),
  'rename-model': (m) =>
    inOrder(() =>
      store
        .rename(m.name, m.to)
        .then(listModels, (e) => post({ type: 'error', message: `could not rename ${m.name}: ${(e as Error).message}` })),
    ),
  'set-model-range': (m) =>
    inOrder(() =>
      store
        .setRange(m.name, m.mapping)
        .then(listModels, (e) =>
          post({ type: 'error', message: `could not change the range of ${m.name}: ${(e as Error).message}` }),
        ),
    ),
  // The photo work computes in the render turn: before background batches, giving way to clicks (render-turn.ts).
  convolve: (m) => inOrder(() => turn.during(() => lab(m.req, (model) => convolveLab(model, m)))),
  attack: (m) => inOrder(() => turn.during(() => lab(m.req, (model) => attackLab(model, m)))),
  invert: (m) => {
    inversions.ask(m.req);
    inOrder(() => turn.during(() => inversions.run(loaded?.model ?? null, m)));
  },
  'invert-stop': () => inversions.stop(),
  'photos-list': () => photosInOrder(() => photos.list().catch(photoFailure)),
  'photos-add': (m) => photosInOrder(() => photos.add(m.files).catch(photoFailure)),
  'photos-remove': (m) => photosInOrder(() => photos.remove(m.ids).catch(photoFailure)),
  'photos-cancel': () => photos.interrupt('all'),
  'explain-photo': (m) => inOrder(() => turn.during(() => photos.explain(m))),
  examples: (m) => inOrder(() => turn.during(() => photos.examples(m))),
  enqueue: (m) => scheduler.enqueue(m.jobs),
  prioritize: (m) => scheduler.prioritize(m.ids, m.priority),
  cancel: (m) => scheduler.cancel(m.ids),
  written: (m) => scheduler.written(m.ids),
  pause: () => scheduler.pause(),
  resume: () => scheduler.resume(),
  ping: () => post({ type: 'pong' }),
  'test-crash-helper': () => helpers.crashOne(),
  'test-lose-context': () => webglContext()?.getExtension('WEBGL_lose_context')?.loseContext(),
  'test-crash': () =>
    setTimeout(() => {
      throw new Error('test-crash: the worker was told to fail');
    }),
  'test-memory': () => inOrder(async () => post({ type: 'test-memory', numTensors: tf.memory().numTensors })),
  'test-hang': (m) => {
    const until = performance.now() + m.ms;
    while (performance.now() < until) {
      /* a stuck synchronous call */
    }
  },
};

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  (handlers[m.type] as (m: ToWorker) => void)(m);
};
