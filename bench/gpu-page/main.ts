/**
 * The engine's step cost in a browser, on WebGL and on wasm in the same page, for machines where the Node harness
 * (npm run bench, bench:studio) cannot run — a GPU machine with a carried headless Chromium and no Node. Each result
 * is printed as one console line `FSBENCH {json}` and appended to the page.
 * Query: ?model=<folder under models/>&layer=conv_pw_6_bn&size=128&steps=32&runs=3
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { FeatureModel } from '../../src/lib/engine/model.ts';
import { render } from '../../src/lib/engine/render.ts';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

const q = new URLSearchParams(location.search);
const MODEL = q.get('model') ?? 'mobilenet_v1_0.25_to_pw7';
const LAYER = q.get('layer') ?? 'conv_pw_6_bn';
const SIZE = Number(q.get('size') ?? 128);
const STEPS = Number(q.get('steps') ?? 32);
const RUNS = Number(q.get('runs') ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = document.getElementById('out')!;
out.textContent = '';

function report(o: Record<string, unknown>) {
  const line = `FSBENCH ${JSON.stringify(o)}`;
  console.log(line);
  out.textContent += `${line}\n`;
}

function renderer(): string {
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
  if (!gl) return 'no WebGL2';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
}

async function msPerImageStep(m: FeatureModel, batch: number): Promise<{ median: number; runs: number[] }> {
  const targets = Array.from({ length: batch }, (_, i) => ({ index: i }));
  const settings = { layer: LAYER, size: SIZE, steps: STEPS, redirectSteps: 0, thresholds: [] };
  await render(m, { ...settings, steps: 4 }, targets); // warm-up: shader compilation, first allocations
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await render(m, settings, targets);
    runs.push((performance.now() - t0) / STEPS / batch);
  }
  return { median: median(runs), runs };
}

async function main() {
  report({ renderer: renderer(), userAgent: navigator.userAgent, model: MODEL, layer: LAYER, size: SIZE, steps: STEPS });
  const results: Record<string, number> = {};
  for (const backend of ['webgl', 'wasm']) {
    try {
      if (!(await tf.setBackend(backend))) throw new Error('setBackend returned false');
      await tf.ready();
      const read = async (p: string) => {
        const res = await fetch(`models/${MODEL}/${p}`);
        if (!res.ok) throw new Error(`${p}: HTTP ${res.status}`);
        return res.arrayBuffer();
      };
      const m = await FeatureModel.load(read, { id: MODEL, inputRange: [-1, 1] }, 'model.json');
      for (const batch of [1, 8]) {
        const before = tf.memory().numTensors;
        const r = await msPerImageStep(m, batch);
        results[`${backend}-b${batch}`] = r.median;
        report({
          backend,
          batch,
          msPerImageStep: +r.median.toFixed(2),
          runs: r.runs.map((x) => +x.toFixed(2)),
          tensorsLeft: tf.memory().numTensors - before,
        });
      }
      m.dispose();
    } catch (e) {
      report({ backend, error: (e as Error).message });
    }
  }
  if (results['webgl-b8'] && results['wasm-b8'])
    report({ wasmOverWebglBatch8: +(results['wasm-b8'] / results['webgl-b8']).toFixed(2) });
  report({ done: true });
}

void main();
