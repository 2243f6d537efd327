/**
 * The transform sampler (transforms.ts) as two kernels for the wasm and cpu backends: bilinear sampling with a
 * constant fill, and its exact adjoint. Built from tfjs ops, both directions are a broadcast multiply into a
 * [pixels, slots, channels] tensor followed by a scatter; with up to nine slots per source pixel that was a sixth of
 * a batch-8 step on wasm (29 ms of 160). As loops over the sampling plan each direction is one pass over the
 * output's four bilinear corners. GPU backends keep the op formulation (their gathers and scatters are native).
 */
import * as tf from '@tensorflow/tfjs';
import type { SamplingPlan } from '../transforms.ts';
import { JS_BACKENDS, jsKernel } from './heap.ts';

export const SAMPLE = 'FeaturescopeSample';
export const SAMPLE_ADJOINT = 'FeaturescopeSampleAdjoint';

/**
 * out[pix, c] = Σ corners w · image[src, c] + fill[pix]. Unused corners have weight 0 and index 0, so every corner is
 * read without a branch; three-channel images (the usual case) get an unrolled loop.
 */
export function sampleLoop(plan: SamplingPlan, ch: number, image: Float32Array, out: Float32Array) {
  const { cornerIndex: idx, cornerWeight: wt, fill } = plan;
  const n = fill.length;
  if (ch === 3) {
    for (let pix = 0, k = 0, o = 0; pix < n; pix++, o += 3) {
      let r = fill[pix];
      let g = r;
      let b = r;
      for (const end = k + 4; k < end; k++) {
        const w = wt[k];
        const s = idx[k] * 3;
        r += w * image[s];
        g += w * image[s + 1];
        b += w * image[s + 2];
      }
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
    }
    return;
  }
  for (let pix = 0; pix < n; pix++) {
    const o = pix * ch;
    for (let c = 0; c < ch; c++) out[o + c] = fill[pix];
    for (let k = pix * 4; k < pix * 4 + 4; k++) {
      const w = wt[k];
      const s = idx[k] * ch;
      for (let c = 0; c < ch; c++) out[o + c] += w * image[s + c];
    }
  }
}

/** grad[src, c] += w · dy[pix, c] over every corner: the transpose of sampleLoop (without the constant fill). */
export function sampleAdjointLoop(plan: SamplingPlan, ch: number, dy: Float32Array, grad: Float32Array) {
  const { cornerIndex: idx, cornerWeight: wt, fill } = plan;
  const n = fill.length;
  if (ch === 3) {
    for (let pix = 0, k = 0, o = 0; pix < n; pix++, o += 3) {
      const r = dy[o];
      const g = dy[o + 1];
      const b = dy[o + 2];
      for (const end = k + 4; k < end; k++) {
        const w = wt[k];
        const s = idx[k] * 3;
        grad[s] += w * r;
        grad[s + 1] += w * g;
        grad[s + 2] += w * b;
      }
    }
    return;
  }
  for (let pix = 0; pix < n; pix++) {
    const o = pix * ch;
    for (let k = pix * 4; k < pix * 4 + 4; k++) {
      const w = wt[k];
      const s = idx[k] * ch;
      for (let c = 0; c < ch; c++) grad[s + c] += w * dy[o + c];
    }
  }
}

interface SampleAttrs {
  plan: SamplingPlan;
  /** Shape of the source image [b, h, w, c] (for the adjoint's output). */
  sourceShape: number[];
}

let registered = false;

export function registerSamplingKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of JS_BACKENDS) {
    tf.registerKernel({
      kernelName: SAMPLE,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { image } = inputs as { image: tf.TensorInfo };
        const { plan } = attrs as unknown as SampleAttrs;
        const [b, , , ch] = image.shape;
        return jsKernel(backendName, backend, [image], [b, plan.outH, plan.outW, ch], ([img], out) =>
          sampleLoop(plan, ch, img, out),
        );
      },
    });
    tf.registerKernel({
      kernelName: SAMPLE_ADJOINT,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { dy } = inputs as { dy: tf.TensorInfo };
        const { plan, sourceShape } = attrs as unknown as SampleAttrs;
        return jsKernel(backendName, backend, [dy], sourceShape, ([g], out) => sampleAdjointLoop(plan, sourceShape[3], g, out));
      },
    });
  }
}

/** Samples `image` by `plan` on wasm or cpu, with the adjoint as its gradient. */
export function sampleOnJsBackend(image: tf.Tensor4D, plan: SamplingPlan): tf.Tensor4D {
  registerSamplingKernels();
  const attrs = { plan, sourceShape: image.shape } as unknown as tf.NamedAttrMap;
  const f: Parameters<typeof tf.customGrad>[0] = (x) => ({
    value: tf.engine().runKernel(SAMPLE, { image: x as tf.Tensor }, attrs) as tf.Tensor,
    gradFunc: (dy: tf.Tensor) => tf.engine().runKernel(SAMPLE_ADJOINT, { dy }, attrs) as tf.Tensor,
  });
  return tf.customGrad(f)(image) as tf.Tensor4D;
}
