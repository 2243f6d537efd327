/**
 * How many images one render batch may hold on the running backend. On wasm and cpu a batch of 8 costs about 0.6 of
 * eight single renders per image (BENCHMARKS.md): larger batches gain little and delay the next click's turn. On a
 * hardware GPU a batch-8 step leaves the GPU mostly idle while the backend's JavaScript dispatches ~300 kernels (H200,
 * WebGPU: 6.5 ms of GPU time in a 52 ms step, BENCHMARKS.md session 25), so larger batches share that fixed cost; the
 * limit shrinks with the render size to keep a batch's memory where a batch of 32 at 128 px has it. Software GPUs
 * (SwiftShader) keep 8: their cost grows with the pixels like wasm's.
 */

/** A batch on wasm, cpu and software GPUs; also the most variants of one target (settings.ts). */
export const MAX_BATCH = 8;
/** A batch on a hardware GPU at 128 px and below. */
export const GPU_MAX_BATCH = 32;
const GPU_BATCH_PIXELS = GPU_MAX_BATCH * 128 * 128;

/** The batch limit for a backend (software: a software-rendered GPU) at a render size in pixels. */
export function batchLimit(backend: string, software: boolean, size: number): number {
  if ((backend !== 'webgl' && backend !== 'webgpu') || software) return MAX_BATCH;
  return Math.max(MAX_BATCH, Math.min(GPU_MAX_BATCH, Math.floor(GPU_BATCH_PIXELS / (size * size))));
}
