/**
 * `npm run bench:profile`: where the time of one optimization step goes, per kernel. Renders a few steady-state
 * steps (no ReLU redirection) of MobileNet v1 α0.75 at 128 px, target conv_pw_6_bn, batch 8 by default, under
 * tf.profile on the chosen Node backend, and prints wall ms per step by kernel name (largest first).
 * Options: --batch N, --steps N, --backend wasm|cpu, --layer L, --size N, --model ID.
 */
import { kernelTable } from './kernel-table.ts';
import * as tf from '@tensorflow/tfjs';
import { useBackend, wasmThreads, type BackendName } from '../src/lib/node/backend.ts';
import { render } from '../src/lib/engine/render.ts';
import { loadModel } from '../src/lib/node/load-model.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const batch = Number(arg('batch', '8'));
const steps = Number(arg('steps', '4'));
const backend = arg('backend', 'wasm') as BackendName;
const layer = arg('layer', 'conv_pw_6_bn');
const size = Number(arg('size', '128'));
const modelId = arg('model', 'mobilenet_v1_0.75_224');

const used = await useBackend([backend]);
const model = await loadModel(modelId);
const targets = Array.from({ length: batch }, (_, i) => ({ index: i }));
const settings = { layer, size, steps, redirectSteps: 0, thresholds: [] };
await render(model, { ...settings, steps: 2 }, targets);
// Median of five timed runs without the profiler (this machine's speed drifts), then one run under it.
const times: number[] = [];
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  await render(model, settings, targets);
  times.push((performance.now() - t0) / steps);
}
const plain = times.sort((a, b) => a - b)[2];
const info = await tf.profile(async () => {
  await render(model, settings, targets);
  return [];
});
const rows = kernelTable(info, steps);
const total = rows.reduce((s, r) => s + r.msPerStep * steps, 0);
console.log(
  `profile: ${modelId}, ${layer}, ${size} px, batch ${batch}, ${used}${used === 'wasm' ? `, ${wasmThreads()} thread(s)` : ''}`,
);
console.log(
  `step without profiler (median of 5 runs): ${plain.toFixed(1)} ms (${(plain / batch).toFixed(1)} ms per image); kernels sum ${(total / steps).toFixed(1)} ms per step`,
);
console.log('kernel                         ms/step  calls/step');
for (const r of rows) {
  if (r.msPerStep < 0.05) continue;
  console.log(`${r.name.padEnd(30)} ${r.msPerStep.toFixed(1).padStart(7)}  ${r.callsPerStep.toFixed(0).padStart(6)}`);
}
model.dispose();
