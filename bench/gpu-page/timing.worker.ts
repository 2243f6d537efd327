/**
 * The engine's cost per image-step on one backend, in a worker as the studio runs it: the backend started by the
 * studio's own startBackend (threads, renderer), then renders of `batch` channels at batch 1 and 8 (one warm-up that
 * compiles shaders, then `runs` timed renders). Posts `{ report }` messages, then `{ end: true }`.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { FeatureModel } from '../../src/lib/engine/model.ts';
import { render } from '../../src/lib/engine/render.ts';
import type { BackendChoice } from '../../src/lib/protocol.ts';
import { timeStepLike } from '../../workers/backend-probe.ts';
import { startBackend } from '../../workers/backends.ts';
import { probeBatch } from '../../workers/batch-size.ts';
import { kernelTable } from '../kernel-table.ts';
import { median } from '../stats.ts';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

export interface TimingRequest {
  backend: BackendChoice;
  modelUrl: string;
  layer: string;
  size: number;
  steps: number;
  runs: number;
  /** Time a software GPU too (SwiftShader: minutes per render); off on the GPU machine, where it means no GPU. */
  allowSoftware: boolean;
  /** WebGL only: tfjs's shape uniforms on or off for the renders (the studio's renders keep them off). */
  shapeUniforms?: boolean;
  /** Batch sizes to time (default 1 and 8). */
  batches?: number[];
}

const post = (m: unknown) => (self as unknown as Worker).postMessage(m);

async function time(req: TimingRequest): Promise<void> {
  const ready = await startBackend(req.backend);
  post({ report: { phase: 'engine', asked: req.backend, ...ready } });
  if (ready.backend !== req.backend || (ready.software && !req.allowSoftware)) return;
  if (ready.backend === 'webgl' && req.shapeUniforms !== undefined) tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', req.shapeUniforms);
  const shapeUniforms = ready.backend === 'webgl' ? tf.env().getBool('WEBGL_USE_SHAPES_UNIFORMS') : undefined;
  post({ report: { phase: 'engine', backend: ready.backend, shapeUniforms } });
  const base = req.modelUrl.slice(0, req.modelUrl.lastIndexOf('/') + 1);
  const read = async (p: string) => {
    const res = await fetch(base + p);
    if (!res.ok) throw new Error(`${p}: HTTP ${res.status}`);
    return res.arrayBuffer();
  };
  const name = req.modelUrl.slice(base.length);
  const tLoad = performance.now();
  const m = await FeatureModel.load(read, { id: 'bench', inputRange: [-1, 1] }, name);
  // A load runs the network twice (layer shapes; other input sizes): on a GPU, its first shader compiles.
  post({ report: { phase: 'engine', backend: ready.backend, loadSeconds: +((performance.now() - tLoad) / 1000).toFixed(2) } });
  const settings = { layer: req.layer, size: req.size, steps: req.steps, redirectSteps: 0, thresholds: [] };
  // GPU → CPU reads per step: each one is a pipeline stall on a GPU ("GPU stall due to ReadPixels" in Chromium's log).
  const counts = { sync: 0, async: 0 };
  const b = tf.backend() as unknown as { readSync(id: object): unknown; read(id: object): Promise<unknown> };
  const [syncRead, asyncRead] = [b.readSync.bind(b), b.read.bind(b)];
  b.readSync = (id) => (counts.sync++, syncRead(id));
  b.read = (id) => (counts.async++, asyncRead(id));
  // Shader programs the backend has built: a count that grows with every step means a compile per step.
  const programs = () => {
    const gb = tf.backend() as unknown as { binaryCache?: object; pipelineCache?: object };
    return Object.keys(gb.binaryCache ?? gb.pipelineCache ?? {}).length;
  };
  const readsIn = async (steps: number) => {
    counts.sync = counts.async = 0;
    const p0 = programs();
    await render(m, { ...settings, steps }, [{ index: 0 }]);
    return { ...counts, programs: programs() - p0 };
  };
  const [r4, r8, r8again] = [await readsIn(4), await readsIn(8), await readsIn(8)];
  post({
    report: {
      phase: 'engine',
      backend: ready.backend,
      readsPerStep: { sync: (r8.sync - r4.sync) / 4, async: (r8.async - r4.async) / 4 },
      readsPerRender: { sync: 2 * r4.sync - r8.sync, async: 2 * r4.async - r8.async },
      newProgramsPerRender: [r4.programs, r8.programs, r8again.programs],
      programsTotal: programs(),
    },
  });
  // What "auto" would measure for this backend (workers/backend-probe.ts), to set beside the real step below.
  const probe = await timeStepLike(3, probeBatch(ready.backend));
  post({
    report: {
      phase: 'engine',
      backend: ready.backend,
      autoProbeMsPerImage: +probe.msPerImage.toFixed(2),
      probeBatch: probe.batch,
    },
  });
  for (const batch of req.batches ?? [1, 8]) {
    const targets = Array.from({ length: batch }, (_, i) => ({ index: i }));
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    await render(m, { ...settings, steps: 4 }, targets); // warm-up: shader compilation, first allocations
    const warm = performance.now() - t0;
    const runs: number[] = [];
    for (let r = 0; r < req.runs; r++) {
      const t1 = performance.now();
      await render(m, settings, targets);
      runs.push((performance.now() - t1) / req.steps / batch);
    }
    post({
      report: {
        phase: 'engine',
        backend: ready.backend,
        batch,
        msPerImageStep: +median(runs).toFixed(2),
        runs: runs.map((x) => +x.toFixed(2)),
        warmupSeconds: +(warm / 1000).toFixed(1),
        tensorsLeft: tf.memory().numTensors - before,
      },
    });
  }
  // Where a batch-8 step goes on this backend (kernel times from the backend's own timers where it has them).
  const steps = 2;
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    await render(
      m,
      { ...settings, steps },
      Array.from({ length: 8 }, (_, i) => ({ index: i })),
    );
    return [];
  });
  const rows = kernelTable(info, steps);
  post({
    report: {
      phase: 'engine',
      backend: ready.backend,
      profileBatch8: {
        wallMsPerStep: +((performance.now() - t0) / steps).toFixed(1),
        kernelMsPerStep: +rows.reduce((s, r) => s + r.msPerStep, 0).toFixed(1),
        top: rows.slice(0, 15).map((r) => `${r.name} ${r.msPerStep.toFixed(1)} ms ×${r.callsPerStep}`),
      },
    },
  });
  m.dispose();
}

self.onmessage = (e: MessageEvent<TimingRequest>) => {
  time(e.data).then(
    () => post({ end: true }),
    (err) =>
      post({ report: { phase: 'engine', asked: e.data.backend, error: String((err as Error).message ?? err) }, end: true }),
  );
};
