/**
 * tfjs's Identity kernel on wasm copies the tensor's memory. The engine calls it far more often than it looks: tfjs
 * clones every tensor a gradient saves for the backward pass (each custom gradient's inputs, each conv's input), about
 * 40 copies of activation-sized tensors per step — some 7 ms of a batch-8 step at 128 px, spent in JavaScript's
 * `TypedArray.set`. No kernel writes into its inputs, so the clone can share the data under one more reference, which
 * is what tfjs's cpu and WebGL backends (and wasm's own Reshape) already do. `shareIdentityOnWasm` swaps the kernel
 * in once; the code that starts the wasm backend calls it (node/backend.ts, workers/backends.ts).
 */
import * as tf from '@tensorflow/tfjs';

interface RefCounting {
  incRef(dataId: object): void;
}

let swapped = false;

const sharedIdentity: tf.KernelFunc = ({ inputs, backend }) => {
  const x = (inputs as { x: tf.TensorInfo }).x;
  (backend as unknown as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Makes Identity share memory on wasm (no-op where wasm is not registered, and after the first call). */
export function shareIdentityOnWasm(): void {
  if (swapped) return;
  const original = tf.getKernel(tf.Identity, 'wasm');
  if (!original) return;
  swapped = true;
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => (args.inputs.x?.dtype === 'string' ? original.kernelFunc(args) : sharedIdentity(args)),
  });
}
