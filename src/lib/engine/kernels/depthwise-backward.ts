/**
 * The input gradient of a strided depthwise convolution as one SIMD kernel on wasm (simd/depthwise-backward.wat).
 * The op formulation (conv-ops.ts) inserts stride − 1 zeros between the upstream gradient's rows and columns and runs a
 * full-resolution depthwise conv over them: at stride 2, three quarters of its multiply-adds are with zeros, plus two
 * padding passes. MobileNet's first stride-2 depthwise layer cost about 3.7 ms of a batch-8 step that way. The kernel
 * visits only the taps that exist. Multiplier 1, channels a multiple of 4, wasm with the module bound; elsewhere null
 * and the caller keeps the op formulation.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureKernels, type WasmOutputs } from './heap.ts';
import { heapKernel, heapOffset } from './simd/heap-module.ts';

const KERNEL = 'FeaturescopeDepthwiseBackward';
const SIMD_ID = 'depthwise-backward';

interface Attrs {
  stride: number;
  /** Padding before the first row and column (TensorFlow's geometry, see conv-ops.ts padGeometry). */
  before: [number, number];
  inSize: [number, number];
}
type BackwardFn = (...args: number[]) => void;

const KERNELS: tf.KernelConfig[] = [
  {
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const { stride, before, inSize } = attrs as unknown as Attrs;
      const [n, oh, ow, c] = dy.shape;
      const [kh, kw] = filter.shape;
      const dx = (backend as WasmOutputs).makeOutput([n, inSize[0], inSize[1], c], 'float32');
      const at = (t: tf.TensorInfo) => heapOffset(backend, t.dataId);
      const run = heapKernel(backend, SIMD_ID)!.depthwiseBackward as BackwardFn;
      run(at(dy), at(filter), at(dx), n, inSize[0], inSize[1], c, oh, ow, kh, kw, stride, before[0], before[1]);
      return dx;
    },
  },
];

/**
 * dx for y = depthwiseConv2d(x, filter, stride) with filter [kh, kw, C, 1] (not flipped), square stride, `before`
 * padding rows/columns and input size `inSize`; null where the kernel does not apply.
 */
export function depthwiseBackwardKernel(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  stride: [number, number],
  before: [number, number],
  inSize: [number, number],
): tf.Tensor4D | null {
  if (tf.getBackend() !== 'wasm' || stride[0] !== stride[1] || filter.shape[3] !== 1 || dy.shape[3] % 4 !== 0) return null;
  if (dy.dtype !== 'float32' || heapKernel(tf.backend(), SIMD_ID) === null) return null;
  ensureKernels(KERNELS);
  const attrs = { stride: stride[0], before, inSize } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(KERNEL, { dy, filter }, attrs) as tf.Tensor4D;
}
