/**
 * The channel objective's reduction as a kernel pair for wasm and cpu: item i scores Σ weight · mean over space of
 * its channels, reading only those channels; the backward writes dy·weight/(h·w) into them and zeros elsewhere. As
 * tfjs ops (a one-hot product over every channel, a channel sum, a spatial mean, each with its broadcasting gradient)
 * it cost 2–4 ms of a batch-8 step for a result of eight numbers. GPU backends keep the op formulation.
 */
import * as tf from '@tensorflow/tfjs';
import { JS_BACKENDS, jsKernel, linearKernelPair, onJsBackend } from './heap.ts';

const FORWARD = 'FeaturescopeChannelMean';
const BACKWARD = 'FeaturescopeChannelMeanGrad';

/** A channel and its weight, per batch item. */
export type Terms = { index: number; weight: number }[][];

interface Attrs {
  terms: Terms;
  /** [b, h, w, c] of the activations (for the backward's output). */
  shape: number[];
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  for (const backendName of JS_BACKENDS) {
    tf.registerKernel({
      kernelName: FORWARD,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x } = inputs as { x: tf.TensorInfo };
        const { terms, shape } = attrs as unknown as Attrs;
        const [b, h, w, c] = shape;
        const n = h * w;
        return jsKernel(backendName, backend, [x], [b], ([a], out) => {
          for (let i = 0; i < b; i++)
            for (const { index, weight } of terms[i]) {
              let sum = 0;
              for (let p = i * n * c + index, end = p + n * c; p < end; p += c) sum += a[p];
              out[i] += (weight * sum) / n;
            }
        });
      },
    });
    tf.registerKernel({
      kernelName: BACKWARD,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { dy } = inputs as { dy: tf.TensorInfo };
        const { terms, shape } = attrs as unknown as Attrs;
        const [b, h, w, c] = shape;
        const n = h * w;
        return jsKernel(backendName, backend, [dy], shape, ([g], out) => {
          for (let i = 0; i < b; i++)
            for (const { index, weight } of terms[i]) {
              const v = (g[i] * weight) / n;
              for (let p = i * n * c + index, end = p + n * c; p < end; p += c) out[p] += v;
            }
        });
      },
    });
  }
}

/**
 * [b] scores Σ weight · mean over space of channel `index` for each item's terms, or null where the kernels do not
 * run (GPU backends): the caller then uses tfjs ops.
 */
export function channelMeansKernel(a: tf.Tensor4D, terms: Terms): tf.Tensor1D | null {
  if (!onJsBackend() || a.dtype !== 'float32' || terms.length !== a.shape[0]) return null;
  register();
  const scores = linearKernelPair(a, FORWARD, BACKWARD, { terms, shape: a.shape }, { forward: 'x', adjoint: 'dy' });
  return scores as tf.Tensor as tf.Tensor1D;
}
