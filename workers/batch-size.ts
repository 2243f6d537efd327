/**
 * How many images one render batch may hold on the running backend. Measured on an H200 (BENCHMARKS.md, session 25;
 * ms per image-step of the engine at 128 px): WebGPU 16.9 / 5.1 / 4.5 / 5.3 / 6.1 at batch 1 / 8 / 16 / 32 / 48,
 * WebGL 20.5 / 7.6 / 6.6 / 7.5 / 8.0 — a hardware GPU gains up to 16 and loses beyond — while wasm on that machine's
 * CPU went 8.4 → 6.9 from batch 1 to 8, and on the 2-core machine batch 16 gains nothing over 8 (`npm run
 * bench:profile -- --batch 8` / `16`: 6.2 / 6.1–6.2 ms per image, session 25). The limit shrinks
 * with the render size to keep a batch's memory where 16 images of 128 px have it. Software GPUs (SwiftShader) keep
 * 8: their cost grows with the pixels like wasm's.
 */

/** A batch on wasm, cpu and software GPUs; also the most variants of one target (settings.ts). */
export const MAX_BATCH = 8;
/** A batch on a hardware GPU at 128 px and below. */
export const GPU_MAX_BATCH = 16;
const GPU_BATCH_PIXELS = GPU_MAX_BATCH * 128 * 128;
const onGpu = (backend: string) => backend === 'webgl' || backend === 'webgpu';

/**
 * The batch auto's probe (backend-probe.ts) times a backend at: its render batch on wasm and cpu, 32 on a GPU. The
 * probe's workload is smaller than a render's step, so a GPU's fixed cost per dispatch weighs more in it; at 32 it
 * ranked WebGPU, WebGL and wasm in the order of their 48-channel renders in the studio on the H200, at 8 it put wasm
 * first (BENCHMARKS.md, session 25). 16, the render batch, was not tried in the probe there.
 */
export function probeBatch(backend: string): number {
  return onGpu(backend) ? 32 : MAX_BATCH;
}

/** The batch limit for a backend (software: a software-rendered GPU) at a render size in pixels. */
export function batchLimit(backend: string, software: boolean, size: number): number {
  if (!onGpu(backend) || software) return MAX_BATCH;
  return Math.max(MAX_BATCH, Math.min(GPU_MAX_BATCH, Math.floor(GPU_BATCH_PIXELS / (size * size))));
}
