/**
 * The Fourier parameterization's colour step as one SIMD kernel pair on wasm (simd/planes-to-pixels.wat): an image's
 * three colour planes [3, h·w] (what the inverse DFT yields) become interleaved pixels [h, w, 3], each pixel's colour
 * multiplied by the decorrelation matrix; the adjoint goes back. As tfjs ops that was a transpose to channels-last and
 * a [b·h·w, 3] × [3, 3] product each way (about 2.6 ms of a batch-8 step at 128 px). Elsewhere: null, and param.ts
 * keeps the op formulation.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureKernels, linearKernelPair, type WasmOutputs } from './heap.ts';
import { heapKernel, heapOffset } from './simd/heap-module.ts';

const FORWARD = 'FeaturescopePlanesToPixels';
const ADJOINT = 'FeaturescopePixelsToPlanes';
const SIMD_ID = 'planes-to-pixels';

interface Attrs {
  /** m[p][c]: pixel colour c = Σ_p plane p · m[p][c]. */
  matrix: number[][];
}
type MixFn = (src: number, dst: number, n: number, ...m: number[]) => void;

function kernelFunc(adjoint: boolean): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const { matrix } = attrs as unknown as Attrs;
    // Forward: x [b, 3, h, w] → [b, h, w, 3]; adjoint: x [b, h, w, 3] → [b, 3, h, w].
    const [b, d1, d2, d3] = x.shape;
    const [h, w] = adjoint ? [d1, d2] : [d2, d3];
    const out = (backend as WasmOutputs).makeOutput(adjoint ? [b, 3, h, w] : [b, h, w, 3], 'float32');
    const mix = heapKernel(backend, SIMD_ID)![adjoint ? 'pixelsToPlanes' : 'planesToPixels'] as MixFn;
    const [src, dst] = [heapOffset(backend, x.dataId), heapOffset(backend, out.dataId)];
    const n = h * w;
    for (let i = 0; i < b; i++) mix(src + i * n * 12, dst + i * n * 12, n, ...matrix.flat());
    return out;
  };
}

const KERNELS: tf.KernelConfig[] = [
  { kernelName: FORWARD, backendName: 'wasm', kernelFunc: kernelFunc(false) },
  { kernelName: ADJOINT, backendName: 'wasm', kernelFunc: kernelFunc(true) },
];

/** True where the kernel runs (wasm with the module bound to its heap). */
export function planesToPixelsAvailable(): boolean {
  return tf.getBackend() === 'wasm' && heapKernel(tf.backend(), SIMD_ID) !== null;
}

/** [b, 3, h, w] colour planes → [b, h, w, 3] pixels mixed by `matrix` (m[p][c]); differentiable. */
export function planesToPixels(planes: tf.Tensor4D, matrix: number[][]): tf.Tensor4D {
  ensureKernels(KERNELS);
  return linearKernelPair(planes, FORWARD, ADJOINT, { matrix });
}
