/**
 * Which TensorFlow.js backend the worker runs, and why.
 *
 * wasm (multi-threaded when the page is cross-origin isolated) is the choice wherever the GPU is software (SwiftShader,
 * llvmpipe) or missing. On a real GPU, "auto" starts WebGL and WebGPU where both exist, times the same short
 * workload on each (convolutions and a matmul of the sizes a render uses, after a warm-up that compiles the shaders),
 * and keeps the faster; the note says which and why.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice, BackendReady } from '../src/lib/protocol.ts';
import { prepareWasmThreads } from './wasm-threads.ts';

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render|microsoft basic/i;

interface GpuInfo {
  available: boolean;
  renderer: string | null;
  software: boolean;
}

/** The GPU behind WebGL2 in this worker, if any, and whether it is software. */
function probeWebgl(): GpuInfo {
  try {
    const canvas = new OffscreenCanvas(1, 1);
    const gl = canvas.getContext('webgl2') as WebGL2RenderingContext | null;
    if (!gl) return { available: false, renderer: null, software: false };
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { available: true, renderer, software: SOFTWARE.test(renderer) };
  } catch {
    return { available: false, renderer: null, software: false };
  }
}

/** The WebGPU adapter in this worker, if any, and whether it is software (a fallback adapter or SwiftShader). */
async function probeWebgpu(): Promise<GpuInfo> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return { available: false, renderer: null, software: false };
  try {
    const adapter = (await gpu.requestAdapter()) as {
      info?: { vendor?: string; architecture?: string; description?: string };
      isFallbackAdapter?: boolean;
    } | null;
    if (!adapter) return { available: false, renderer: null, software: false };
    const i = adapter.info ?? {};
    const renderer = [i.vendor, i.architecture, i.description].filter(Boolean).join(' ') || 'WebGPU adapter';
    return { available: true, renderer, software: Boolean(adapter.isFallbackAdapter) || SOFTWARE.test(renderer) };
  } catch {
    return { available: false, renderer: null, software: false };
  }
}

/** Median ms of a fixed workload on the current backend (after one warm-up run that compiles its shaders). */
async function timeWorkload(): Promise<number> {
  const run = () =>
    tf.tidy(() => {
      const x = tf.randomNormal([8, 70, 70, 48], 0, 1, 'float32', 1) as tf.Tensor4D;
      const k = tf.randomNormal([3, 3, 48, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
      const p = tf.randomNormal([1, 1, 48, 96], 0, 1, 'float32', 3) as tf.Tensor4D;
      const m = tf.randomNormal([256, 256], 0, 1, 'float32', 4) as tf.Tensor2D;
      const v = tf.randomNormal([256, 1560], 0, 1, 'float32', 5) as tf.Tensor2D;
      const y = tf.conv2d(tf.depthwiseConv2d(x, k, 1, 'same'), p, 1, 'same');
      return tf.add(tf.sum(y), tf.sum(tf.matMul(m, v)));
    });
  await run().data();
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await run().data();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[1];
}

async function start(name: string): Promise<boolean> {
  try {
    if (await tf.setBackend(name)) {
      await tf.ready();
      return true;
    }
  } catch {
    /* not available */
  }
  return false;
}

const NO_GPU: GpuInfo = { available: false, renderer: null, software: false };

/**
 * Starts the backend for `choice` and says what runs, on what, and why. `probeGpu` false skips every GPU call (a
 * worker before this one hung in one): wasm, or cpu.
 */
export async function startBackend(choice: BackendChoice, probeGpu = true): Promise<BackendReady> {
  const gl = probeGpu ? probeWebgl() : NO_GPU;
  const gpu = probeGpu ? await probeWebgpu() : NO_GPU;
  if (!probeGpu) choice = choice === 'cpu' ? 'cpu' : 'wasm';
  const wasmPlan = prepareWasmThreads();
  const realGpus = [gl.available && !gl.software ? 'webgl' : null, gpu.available && !gpu.software ? 'webgpu' : null].filter(
    (b): b is string => b !== null,
  );
  let want: string[];
  let note: string | null = null;
  if (choice !== 'auto') want = [choice, 'wasm', 'cpu'];
  else if (realGpus.length === 2) {
    const ms: Record<string, number> = {};
    for (const name of realGpus) if (await start(name)) ms[name] = await timeWorkload();
    const ranked = Object.keys(ms).sort((a, b) => ms[a] - ms[b]);
    want = [...ranked, 'wasm', 'cpu'];
    note = `probe: ${ranked.map((n) => `${n} ${ms[n].toFixed(1)} ms`).join(', ')}; the faster runs`;
  } else if (realGpus.length === 1) want = [realGpus[0], 'wasm', 'cpu'];
  else {
    want = ['wasm', 'cpu'];
    const seen = [gl.available ? `WebGL on ${gl.renderer}` : null, gpu.available ? `WebGPU on ${gpu.renderer}` : null].filter(
      Boolean,
    );
    note = seen.length
      ? `the GPU is software-rendered (${seen.join('; ')}); wasm is faster here`
      : 'no WebGL2 or WebGPU in this worker';
  }
  let backend = 'none';
  for (const name of want) {
    if (await start(name)) {
      backend = name;
      break;
    }
  }
  if (backend !== want[0]) note = `${want[0]} could not start; using ${backend}${note ? ` (${note})` : ''}`;
  const threads = backend === 'wasm' ? Math.max(1, getThreadsCount()) : null;
  if (backend === 'wasm' && wasmPlan.why) note = note ? `${note}; ${wasmPlan.why}` : wasmPlan.why;
  if (!probeGpu) note = `the GPU did not answer before; ${backend} runs without touching it${note ? ` (${note})` : ''}`;
  const renderer =
    backend === 'webgl' ? gl.renderer : backend === 'webgpu' ? gpu.renderer : gl.renderer ? `${gl.renderer} (not used)` : null;
  const software = (backend === 'webgl' && gl.software) || (backend === 'webgpu' && gpu.software);
  if (software)
    note = `${backend === 'webgl' ? 'WebGL' : 'WebGPU'} here runs on ${renderer}, a software renderer: expect it to be many times slower than wasm`;
  watchGpu(backend);
  return { backend, threads, renderer, note, software, softwareGpu: gl.software || gpu.software };
}

let lostReason: string | null = null;

/** Follows the running GPU backend's own lost state: the WebGL context's flag, the WebGPU device's lost promise. */
function watchGpu(backend: string) {
  lostReason = null;
  if (backend !== 'webgpu') return;
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ message?: string }> } }).device;
  void device?.lost?.then((info) => {
    if (tf.getBackend() === 'webgpu') lostReason = `the WebGPU device was lost${info?.message ? ` (${info.message})` : ''}`;
  });
}

/** The WebGL backend's context, when that backend runs. */
export function webglContext(): WebGL2RenderingContext | null {
  if (tf.getBackend() !== 'webgl') return null;
  return (tf.backend() as unknown as { gpgpu: { gl: WebGL2RenderingContext } }).gpgpu.gl;
}

/** Why the GPU backend cannot go on, or null while it can (and on wasm and cpu). */
export function gpuLost(): string | null {
  if (webglContext()?.isContextLost()) return 'the WebGL context was lost';
  return tf.getBackend() === 'webgpu' ? lostReason : null;
}
