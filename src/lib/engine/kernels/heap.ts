/**
 * Reading and writing tensor memory from JavaScript in the backends that keep it there: wasm (its heap) and cpu
 * (plain typed arrays). Kernels registered here for those two backends are plain loops over Float32Arrays.
 */
import * as tf from '@tensorflow/tfjs';

interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}
interface CpuLike {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

export type JsBackendName = 'wasm' | 'cpu';
export const JS_BACKENDS: JsBackendName[] = ['wasm', 'cpu'];

/** True when the current backend keeps tensors in memory that JavaScript reads directly. */
export function onJsBackend(): boolean {
  return (JS_BACKENDS as string[]).includes(tf.getBackend());
}

/** A new float32 tensor on the wasm backend's heap, zeroed (wasm's own outputs are not). */
export function zeroedHeapOutput(backend: unknown, shape: number[]): tf.TensorInfo {
  const b = backend as WasmLike;
  const out = b.makeOutput(shape, 'float32');
  b.typedArrayFromHeap(out).fill(0);
  return out;
}

/**
 * Runs `fill(inputs..., out)` over Float32Array views and returns the output tensor info. The output starts zeroed.
 * On wasm the views are taken after the output is allocated (a growing heap replaces its buffer).
 */
export function jsKernel(
  backendName: JsBackendName,
  backend: unknown,
  inputs: tf.TensorInfo[],
  outShape: number[],
  fill: (ins: Float32Array[], out: Float32Array) => void,
): tf.TensorInfo {
  if (backendName === 'wasm') {
    const b = backend as WasmLike;
    const out = zeroedHeapOutput(backend, outShape);
    fill(
      inputs.map((t) => b.typedArrayFromHeap(t)),
      b.typedArrayFromHeap(out),
    );
    return out;
  }
  const b = backend as CpuLike;
  const out = new Float32Array(tf.util.sizeFromShape(outShape));
  fill(
    inputs.map((t) => b.data.get(t.dataId).values),
    out,
  );
  return b.makeTensorInfo(outShape, 'float32', out);
}

/** What the wasm backend offers a kernel for a new output tensor (its memory is not zeroed). */
export type WasmOutputs = { makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo };

/**
 * `x` through registered kernel `forward`, differentiable through kernel `adjoint` (a linear map and its transpose:
 * the adjoint gets dy alone). Both take `attrs`; `inputs` names the tensor each kernel reads.
 */
export function linearKernelPair<T extends tf.Tensor>(
  x: T,
  forward: string,
  adjoint: string,
  attrs: object,
  inputs: { forward: string; adjoint: string } = { forward: 'x', adjoint: 'x' },
): T {
  const named = attrs as unknown as tf.NamedAttrMap;
  const f: Parameters<typeof tf.customGrad>[0] = (input) => ({
    value: tf.engine().runKernel(forward, { [inputs.forward]: input as tf.Tensor }, named) as tf.Tensor,
    gradFunc: (dy: tf.Tensor) => tf.engine().runKernel(adjoint, { [inputs.adjoint]: dy }, named) as tf.Tensor,
  });
  return tf.customGrad(f)(x) as T;
}

/**
 * Registers the kernels not registered yet: the kernels here register on first use, and tfjs refuses a second
 * registration of a name (its registry is what says whether one was made).
 */
export function ensureKernels(configs: tf.KernelConfig[]): void {
  for (const c of configs) if (!tf.getKernel(c.kernelName, c.backendName)) tf.registerKernel(c);
}
