/**
 * GPU check page, for a machine with a GPU but no Node (a carried headless Chromium, served by serve.py). Two phases,
 * each result one `FSBENCH {json}` line (console, page, and POST /log to the server):
 *  1. engine: ms per image-step at batch 1 and 8 on each backend, each in its own worker (timing.worker.ts);
 *  2. studio: the studio's own worker with each backend choice ("auto" first: which it picks and why), the wall time
 *     for `channels` channels of one layer.
 * Query: ?model=<folder under models/>&layer=conv_pw_6_bn&size=128&steps=32&runs=3&engine=webgpu,webgl,webgl-uniforms,wasm
 *        &batches=1,8 (engine batch sizes; `gpuBatches=` for WebGL/WebGPU, default the same)
 *        &studio=auto,webgpu,webgl&channels=48&studioSteps=256&timeout=150&software=1 (time software GPUs too)
 * `webgl-uniforms` is WebGL with tfjs's shape uniforms on (the studio uses them only for a model load's two passes;
 * its renders keep per-shape shaders): its warm-up and steady ms beside plain `webgl` say whether renders on a real
 * GPU should have them too.
 */
import type { BackendChoice } from '../../src/lib/protocol.ts';
import { flush, report } from './report.ts';
import { studioRun } from './studio-run.ts';
import type { TimingRequest } from './timing.worker.ts';

const q = new URLSearchParams(location.search);
const MODEL = q.get('model') ?? 'mobilenet_v1_0.75_to_pw6';
const modelUrl = new URL(`models/${MODEL}/model.json`, location.href).href;
const LAYER = q.get('layer') ?? 'conv_pw_6_bn';
const SIZE = Number(q.get('size') ?? 128);
const list = (k: string, d: string) => (q.get(k) ?? d).split(',').filter(Boolean) as BackendChoice[];
const TIMEOUT_MS = Number(q.get('timeout') ?? 150) * 1000;
const SOFTWARE = q.get('software') === '1';

function engineRun(req: TimingRequest): Promise<void> {
  const worker = new Worker(new URL('./timing.worker.ts', import.meta.url), { type: 'module' });
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      report({ phase: 'engine', asked: req.backend, error: `timed out after ${TIMEOUT_MS / 1000} s` });
      resolve();
    }, TIMEOUT_MS);
    worker.onmessage = (e: MessageEvent<{ report?: Record<string, unknown>; end?: boolean }>) => {
      if (e.data.report) report(e.data.report);
      if (e.data.end) {
        clearTimeout(timer);
        resolve();
      }
    };
    worker.onerror = (e) => {
      report({ phase: 'engine', asked: req.backend, workerError: e.message });
      clearTimeout(timer);
      resolve();
    };
    worker.postMessage(req);
  }).finally(() => worker.terminate());
}

async function main() {
  report({
    userAgent: navigator.userAgent,
    crossOriginIsolated,
    cores: navigator.hardwareConcurrency,
    model: MODEL,
    layer: LAYER,
  });
  const steps = Number(q.get('steps') ?? 32);
  const runs = Number(q.get('runs') ?? 3);
  for (const asked of (q.get('engine') ?? 'webgpu,webgl,webgl-uniforms,wasm').split(',').filter(Boolean)) {
    const uniforms = asked === 'webgl-uniforms';
    const backend = (uniforms ? 'webgl' : asked) as BackendChoice;
    const shapeUniforms = backend === 'webgl' ? uniforms : undefined;
    const batches = (q.get(backend === 'wasm' || backend === 'cpu' ? 'batches' : 'gpuBatches') ?? q.get('batches') ?? '1,8')
      .split(',')
      .map(Number);
    await engineRun({
      backend,
      modelUrl,
      layer: LAYER,
      size: SIZE,
      steps,
      runs,
      allowSoftware: SOFTWARE,
      shapeUniforms,
      batches,
    });
  }
  // A backend the studio already ran (auto's pick) is not run again under its own name.
  const ran = new Set<string>();
  for (const choice of list('studio', 'auto,webgpu,webgl')) {
    if (ran.has(choice)) {
      report({ phase: 'studio', choice, skipped: 'auto ran on this backend' });
      continue;
    }
    const backend = await studioRun({
      choice,
      modelUrl,
      layer: LAYER,
      channels: Number(q.get('channels') ?? 48),
      size: SIZE,
      steps: Number(q.get('studioSteps') ?? 256),
      timeoutMs: TIMEOUT_MS,
      allowSoftware: SOFTWARE,
    });
    if (backend) ran.add(backend);
  }
  await flush();
  report({ done: true });
}

void main();
