/**
 * Uploads for tfjs's WebGPU backend through `queue.writeBuffer` instead of buffers mapped at creation.
 *
 * tfjs 4.22 creates every new tensor buffer with `mappedAtCreation: true` (and a mapped staging buffer when it reuses
 * one). On Chromium's SwiftShader WebGPU such a request fails within the first few hundred uploads ("createBuffer
 * failed, size (4) is too large for the implementation when mappedAtCreation == true"), so no render could run there.
 * `writeBuffer` copies through the queue with no mapping. It is ordered before any command submitted after it, and a
 * buffer tfjs hands out again is never one that unsubmitted commands still read (tfjs frees those at submit), so the
 * results are the same.
 */
import * as tf from '@tensorflow/tfjs';

interface TensorData {
  values: ArrayLike<number> | null;
  dtype: tf.DataType;
  shape: number[];
  resource: unknown;
}

interface WebgpuBackendInternals {
  tensorMap: { get(id: object): TensorData };
  bufferManager: { acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean): object };
  queue: { writeBuffer(buffer: object, offset: number, data: ArrayBufferView): void };
  uploadToGPU(dataId: object): void;
}

/** GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST, as tfjs asks for tensor buffers. */
const TENSOR_USAGE = 0x80 | 0x04 | 0x08;

/** Replaces the running WebGPU backend's upload; returns false when the backend's shape is not the one expected. */
export function uploadWithoutMapping(backend: unknown): boolean {
  const b = backend as Partial<WebgpuBackendInternals>;
  if (typeof b.uploadToGPU !== 'function' || !b.tensorMap || !b.bufferManager || !b.queue) return false;
  const be = b as WebgpuBackendInternals;
  const original = be.uploadToGPU.bind(be);
  be.uploadToGPU = (dataId: object) => {
    const data = be.tensorMap.get(dataId);
    if (data.resource != null) return;
    // complex64 (two parts) and strings: tfjs's own path, untouched.
    if (data.dtype !== 'float32' && data.dtype !== 'int32' && data.dtype !== 'bool') return original(dataId);
    const size = 4 * data.shape.reduce((a, n) => a * n, 1);
    const buffer = be.bufferManager.acquireBuffer(size, TENSOR_USAGE, false);
    if (data.values) {
      const v = data.values;
      const typed =
        data.dtype === 'float32'
          ? v instanceof Float32Array
            ? v
            : Float32Array.from(v)
          : v instanceof Int32Array
            ? v
            : Int32Array.from(v);
      if (size > 0) be.queue.writeBuffer(buffer, 0, typed);
      data.values = null;
    }
    data.resource = buffer;
  };
  return true;
}
