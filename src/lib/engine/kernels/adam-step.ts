/**
 * One Adam ascent step as a single kernel on wasm (simd/adam.wat): the new first and second moments and the new
 * parameters in one pass, where tfjs's ops took eleven element-wise passes over the parameters (about 3 ms of a
 * batch-8 step at 128 px). Same float32 operations in the same order, so the same bits. Other backends, or a wasm
 * build the module cannot bind to, keep the op formulation in adam.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureKernels, type WasmOutputs } from './heap.ts';
import { heapKernel, heapOffset } from './simd/heap-module.ts';

const KERNEL = 'FeaturescopeAdamStep';
const SIMD_ID = 'adam';

interface AdamAttrs {
  beta1: number;
  beta2: number;
  eps: number;
  lr: number;
}
type AdamFn = (...args: number[]) => void;

const KERNELS: tf.KernelConfig[] = [
  {
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, g, m, v } = inputs as Record<'x' | 'g' | 'm' | 'v', tf.TensorInfo>;
      const { beta1, beta2, eps, lr } = attrs as unknown as AdamAttrs;
      const outs = [0, 1, 2].map(() => (backend as WasmOutputs).makeOutput(x.shape, 'float32'));
      const at = (t: tf.TensorInfo) => heapOffset(backend, t.dataId);
      const step = heapKernel(backend, SIMD_ID)!.adamStep as AdamFn;
      step(
        at(x),
        at(g),
        at(m),
        at(v),
        ...outs.map(at),
        tf.util.sizeFromShape(x.shape),
        beta1,
        1 - beta1,
        beta2,
        1 - beta2,
        eps,
        lr,
      );
      return outs;
    },
  },
];

/** [x', m', v'] after one ascent step, or null where the kernel does not run (the caller then uses tfjs ops). */
export function adamStepKernel(x: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, attrs: AdamAttrs): tf.Tensor[] | null {
  if (tf.getBackend() !== 'wasm' || heapKernel(tf.backend(), SIMD_ID) === null) return null;
  if ([x, g, m, v].some((t) => t.dtype !== 'float32')) return null;
  ensureKernels(KERNELS);
  return tf.engine().runKernel(KERNEL, { x, g, m, v }, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
}
