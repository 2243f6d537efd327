/**
 * The channel objective's reduction as a kernel pair for wasm and cpu: item i scores Σ weight · mean over space of
 * its channels, reading only those channels; the backward writes dy·weight/(h·w) into them and zeros elsewhere. As
 * tfjs ops (a one-hot product over every channel, a channel sum, a spatial mean, each with its broadcasting gradient)
 * it cost 2–4 ms of a batch-8 step for a result of eight numbers. GPU backends keep the op formulation.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureKernels, JS_BACKENDS, jsKernel, linearKernelPair, onJsBackend } from './heap.ts';

const FORWARD = 'FeaturescopeChannelMean';
const BACKWARD = 'FeaturescopeChannelMeanGrad';

/** A channel and its weight, per batch item. */
export type Terms = { index: number; weight: number }[][];

interface Attrs {
  terms: Terms;
  /** [b, h, w, c] of the activations (for the backward's output). */
  shape: number[];
}

/** Both directions over each item's channels: forward out[i] += weight·Σ a / (h·w); adjoint out += a[i]·weight / (h·w). */
function walkTerms(terms: Terms, shape: number[], adjoint: boolean, a: Float32Array, out: Float32Array): void {
  const [b, h, w, c] = shape;
  const n = h * w;
  for (let i = 0; i < b; i++)
    for (const { index, weight } of terms[i]) {
      const [start, end] = [i * n * c + index, (i + 1) * n * c];
      if (adjoint) {
        const v = (a[i] * weight) / n;
        for (let p = start; p < end; p += c) out[p] += v;
      } else {
        let sum = 0;
        for (let p = start; p < end; p += c) sum += a[p];
        out[i] += (weight * sum) / n;
      }
    }
}

const KERNELS: tf.KernelConfig[] = JS_BACKENDS.flatMap((backendName) =>
  [FORWARD, BACKWARD].map((kernelName) => ({
    kernelName,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const adjoint = kernelName === BACKWARD;
      const { terms, shape } = attrs as unknown as Attrs;
      const { x } = inputs as { x: tf.TensorInfo };
      return jsKernel(backendName, backend, [x], adjoint ? shape : [shape[0]], ([a], out) =>
        walkTerms(terms, shape, adjoint, a, out),
      );
    },
  })),
);

/**
 * [b] scores Σ weight · mean over space of channel `index` for each item's terms, or null where the kernels do not
 * run (GPU backends): the caller then uses tfjs ops.
 */
export function channelMeansKernel(a: tf.Tensor4D, terms: Terms): tf.Tensor1D | null {
  if (!onJsBackend() || a.dtype !== 'float32' || terms.length !== a.shape[0]) return null;
  ensureKernels(KERNELS);
  return linearKernelPair(a, FORWARD, BACKWARD, { terms, shape: a.shape }) as tf.Tensor as tf.Tensor1D;
}
