/**
 * The transform sampler (transforms.ts) as two kernels for the wasm and cpu backends: bilinear sampling with a
 * constant fill, and its exact adjoint. Built from tfjs ops (as scatters, then), the sampler was a sixth of a batch-8
 * step on wasm (29 ms of 160), plus 10 ms of JavaScript building the index arrays. Here each direction
 * is one pass over the output's four bilinear corners, computed on the fly. GPU backends keep the op formulation
 * (gathers both ways). The corner geometry is the same as transforms.ts's samplingPlan, written
 * out again here on purpose: this loop is hot, and through a shared callback it ran three times slower. On wasm, a
 * 3-channel image goes through simd/sampling.wat instead (one call per batch item), the three channels of a pixel in
 * one SIMD lane group, in float32 where this loop adds in double precision (batch 8, 128 px: 3.0 → 1.7 ms forward,
 * 3.3 → 2.0 ms adjoint).
 */
import * as tf from '@tensorflow/tfjs';
import type { SamplingMap } from '../transforms.ts';
import { ensureKernels, JS_BACKENDS, jsKernel, linearKernelPair, zeroedHeapOutput, type JsBackendName } from './heap.ts';
import { heapKernel, heapOffset } from './simd/heap-module.ts';

const SAMPLE = 'FeaturescopeSample';
const SAMPLE_ADJOINT = 'FeaturescopeSampleAdjoint';

/**
 * Both directions in one loop (a constant `adjoint` flag, so the branch is free), with the corners computed from the
 * affine map on the fly: no per-step arrays (building them took longer than sampling), no callbacks in the hot loop.
 *  - sampling: out[pix, c] = Σ corners w · src[s, c] + fill[pix]   (a = image, out = transformed image)
 *  - adjoint:  out[s, c] += w · a[pix, c] over every corner          (a = dy, out = gradient of the image)
 */
function walk(map: SamplingMap, ch: number, adjoint: boolean, a: Float32Array, out: Float32Array) {
  const [b, h, w] = map.source;
  const { outH, outW, affine, padValue } = map;
  for (let bi = 0; bi < b; bi++) {
    const c0 = affine[bi * 6];
    const c1 = affine[bi * 6 + 1];
    const c2 = affine[bi * 6 + 2];
    const c3 = affine[bi * 6 + 3];
    const c4 = affine[bi * 6 + 4];
    const c5 = affine[bi * 6 + 5];
    for (let v = 0; v < outH; v++) {
      for (let u = 0; u < outW; u++) {
        const py = c0 + c1 * v + c2 * u;
        const px = c3 + c4 * v + c5 * u;
        const y0 = Math.floor(py);
        const x0 = Math.floor(px);
        const fy = py - y0;
        const fx = px - x0;
        const o = ((bi * outH + v) * outW + u) * ch;
        if (ch === 3 && y0 >= 0 && y0 + 1 < h && x0 >= 0 && x0 + 1 < w) {
          // All four corners inside (most pixels): no bounds checks, no fill, channels unrolled.
          const w00 = (1 - fy) * (1 - fx);
          const w01 = (1 - fy) * fx;
          const w10 = fy * (1 - fx);
          const w11 = fy * fx;
          const s00 = ((bi * h + y0) * w + x0) * 3;
          const s10 = s00 + w * 3;
          if (adjoint) {
            for (let k = 0; k < 3; k++) {
              const g = a[o + k];
              out[s00 + k] += w00 * g;
              out[s00 + 3 + k] += w01 * g;
              out[s10 + k] += w10 * g;
              out[s10 + 3 + k] += w11 * g;
            }
          } else {
            for (let k = 0; k < 3; k++) {
              out[o + k] = w00 * a[s00 + k] + w01 * a[s00 + 3 + k] + w10 * a[s10 + k] + w11 * a[s10 + 3 + k];
            }
          }
          continue;
        }
        let inside = 0;
        for (let c = 0; c < 4; c++) {
          const yy = y0 + (c >> 1);
          const xx = x0 + (c & 1);
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          const wt = (c >> 1 ? fy : 1 - fy) * (c & 1 ? fx : 1 - fx);
          const s = ((bi * h + yy) * w + xx) * ch;
          inside += wt;
          if (adjoint) for (let k = 0; k < ch; k++) out[s + k] += wt * a[o + k];
          else for (let k = 0; k < ch; k++) out[o + k] += wt * a[s + k];
        }
        if (!adjoint) {
          const f = padValue * (1 - inside);
          for (let k = 0; k < ch; k++) out[o + k] += f;
        }
      }
    }
  }
}

interface SampleAttrs {
  map: SamplingMap;
  /** Shape of the source image [b, h, w, c] (for the adjoint's output). */
  sourceShape: number[];
}

type SampleItemFn = (a: number, out: number, h: number, w: number, outH: number, outW: number, ...rest: number[]) => void;

/** The SIMD loop for a 3-channel image on wasm, or null (other channel counts, or no module): walk then. */
function walkOnHeap(
  backend: unknown,
  map: SamplingMap,
  adjoint: boolean,
  input: tf.TensorInfo,
  outShape: number[],
): tf.TensorInfo | null {
  const exports = outShape[3] === 3 ? heapKernel(backend, 'sampling') : null;
  if (!exports) return null;
  const out = zeroedHeapOutput(backend, outShape);
  const [items, h, w] = map.source;
  const { outH, outW, affine, padValue } = map;
  // Bytes per item of the array read (a) and of the array written (out).
  const [aItem, outItem] = adjoint ? [outH * outW * 12, h * w * 12] : [h * w * 12, outH * outW * 12];
  const [a0, out0] = [heapOffset(backend, input.dataId), heapOffset(backend, out.dataId)];
  const sampleItem = exports.sampleItem as SampleItemFn;
  for (let i = 0; i < items; i++) {
    const c = affine.subarray(i * 6, i * 6 + 6);
    sampleItem(a0 + i * aItem, out0 + i * outItem, h, w, outH, outW, ...c, padValue, adjoint ? 1 : 0);
  }
  return out;
}

/** One backend's pair: the SIMD loop on wasm where it applies, else `walk` over the arrays. */
function kernelsFor(backendName: JsBackendName): tf.KernelConfig[] {
  const run = (backend: unknown, map: SamplingMap, adjoint: boolean, input: tf.TensorInfo, outShape: number[]) =>
    (backendName === 'wasm' ? walkOnHeap(backend, map, adjoint, input, outShape) : null) ??
    jsKernel(backendName, backend, [input], outShape, ([a], out) => walk(map, outShape[3], adjoint, a, out));
  return [
    {
      kernelName: SAMPLE,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { image } = inputs as { image: tf.TensorInfo };
        const { map } = attrs as unknown as SampleAttrs;
        const [b, , , ch] = image.shape;
        return run(backend, map, false, image, [b, map.outH, map.outW, ch]);
      },
    },
    {
      kernelName: SAMPLE_ADJOINT,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { dy } = inputs as { dy: tf.TensorInfo };
        const { map, sourceShape } = attrs as unknown as SampleAttrs;
        return run(backend, map, true, dy, sourceShape);
      },
    },
  ];
}

const KERNELS = JS_BACKENDS.flatMap(kernelsFor);

/** Samples `image` by `map` on wasm or cpu, with the adjoint as its gradient. */
export function sampleOnJsBackend(image: tf.Tensor4D, map: SamplingMap): tf.Tensor4D {
  ensureKernels(KERNELS);
  const attrs = { map, sourceShape: image.shape };
  return linearKernelPair(image, SAMPLE, SAMPLE_ADJOINT, attrs, { forward: 'image', adjoint: 'dy' });
}
