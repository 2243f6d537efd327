/**
 * Which TensorFlow.js backend the worker runs, and why.
 *
 * wasm (multi-threaded when the page is cross-origin isolated) is the choice wherever the GPU is software (SwiftShader,
 * llvmpipe) or missing. On a real GPU, "auto" times the same step-shaped workload (backend-probe.ts) on each GPU
 * backend that starts and on wasm, and keeps the fastest; the note says which and why.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice, BackendReady, GpuInfo, GpuProbes } from '../src/lib/protocol.ts';
import { rankByProbe, timeStepLike, type ProbeTime } from './backend-probe.ts';
import { probeBatch } from './batch-size.ts';
import { prepareWasmThreads } from './wasm-threads.ts';
import { uploadWithoutMapping } from './webgpu-upload.ts';
import { simdKernelsBound } from '../src/lib/engine/kernels/clipped-relu-grad.ts';
import { shareIdentityOnWasm } from '../src/lib/engine/kernels/shared-identity.ts';

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render|microsoft basic/i;

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

async function start(name: string): Promise<boolean> {
  try {
    // The WebGPU backend (a fifth of the worker's code) is fetched only when it is tried: wasm pages start sooner.
    if (name === 'webgpu' && !tf.findBackendFactory('webgpu')) await import('@tensorflow/tfjs-backend-webgpu');
    if (await tf.setBackend(name)) {
      await tf.ready();
      if (name === 'webgpu') uploadWithoutMapping(tf.backend());
      if (name === 'wasm') shareIdentityOnWasm();
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
 * worker before this one hung in one): wasm, or cpu. `known`: what an earlier worker of the page saw, used instead of
 * asking the GPU again — after a switch away from a busy WebGL, the GPU process can take seconds to answer even
 * `getContext` while it finishes the old worker's shader compiles (BENCHMARKS.md: 5–7 s → 1.4 s on SwiftShader).
 */
export async function startBackend(
  choice: BackendChoice,
  probeGpu = true,
  known: GpuProbes | null = null,
): Promise<BackendReady> {
  const gl = !probeGpu ? NO_GPU : (known?.webgl ?? probeWebgl());
  const gpu = !probeGpu ? NO_GPU : (known?.webgpu ?? (await probeWebgpu()));
  if (!probeGpu) choice = choice === 'cpu' ? 'cpu' : 'wasm';
  const wasmPlan = prepareWasmThreads();
  const realGpus = [gl.available && !gl.software ? 'webgl' : null, gpu.available && !gpu.software ? 'webgpu' : null].filter(
    (b): b is string => b !== null,
  );
  let want: string[];
  let note: string | null = null;
  if (choice !== 'auto') want = [choice, 'wasm', 'cpu'];
  else if (realGpus.length > 0) {
    const ms: Record<string, ProbeTime> = {};
    for (const name of [...realGpus, 'wasm']) {
      try {
        // Per image, a GPU at a larger batch than wasm: its larger batches are part of its speed (batch-size.ts).
        if (await start(name)) ms[name] = await timeStepLike(3, probeBatch(name));
      } catch {
        /* a backend that fails the probe is not a candidate */
      }
    }
    const probe = rankByProbe(ms);
    want = [...probe.ranked, ...['wasm', 'cpu'].filter((n) => !probe.ranked.includes(n))];
    note = probe.note;
  } else {
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
  const simd = backend === 'wasm' ? simdKernelsBound() : null;
  return {
    backend,
    threads,
    simd,
    renderer,
    note,
    software,
    softwareGpu: gl.software || gpu.software,
    gpus: { webgl: gl, webgpu: gpu },
  };
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
