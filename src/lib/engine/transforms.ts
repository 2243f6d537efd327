/**
 * Random, differentiable transformations applied to the image before each step (transformation robustness).
 *
 * Lucid's chain — pad, jitter, random scale, random rotation, jitter — is composed here into one affine map from
 * output pixels to source pixels, sampled bilinearly; pixels that fall into the padding take the pad value. The
 * output has a fixed size (so backends compile their kernels once); scaling zooms about the centre. Sampling is a
 * gather of four bilinear corners whose gradient is the same gather seen from the source (unlike the gradients of
 * tfjs's rotation ops, these run on every backend).
 * All randomness comes from a seeded generator per batch item.
 */
import * as tf from '@tensorflow/tfjs';
import { onJsBackend } from './kernels/heap.ts';
import { sampleOnJsBackend } from './kernels/sampling.ts';

type GradFunc = Parameters<typeof tf.customGrad>[0];

export interface TransformOptions {
  pad: number;
  padValue: number;
  jitter1: number;
  scales: number[];
  anglesDeg: number[];
  jitter2: number;
  /** Size of the transformed image; null keeps the natural size (image + 2·pad − jitters). */
  outputSize: [number, number] | null;
}

/** Lucid's standard transforms (DESIGN.md §3). */
export const LUCID_TRANSFORMS: TransformOptions = {
  pad: 12,
  padValue: 0.5,
  jitter1: 8,
  scales: Array.from({ length: 11 }, (_, i) => 1 + (i - 5) / 50),
  anglesDeg: [...Array.from({ length: 21 }, (_, i) => i - 10), 0, 0, 0, 0, 0],
  jitter2: 4,
  outputSize: null,
};

/**
 * Lucid's pixel amounts suit renders of 128 px and more. A smaller render (a 28 px digit network, say) gets the pad
 * and jitters shrunk in proportion — 8 px of jitter is a third of a 28 px image — and never below one pixel; scales
 * and angles are relative already.
 */
export function transformsForSize(size: number): TransformOptions {
  const f = Math.min(1, size / 128);
  const px = (n: number) => Math.max(1, Math.round(n * f));
  const L = LUCID_TRANSFORMS;
  return { ...L, pad: px(L.pad), jitter1: px(L.jitter1), jitter2: px(L.jitter2) };
}

/** mulberry32: a small, fast, well-distributed 32-bit generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes several integers into one seed (stable across runs and platforms). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p & 0xffff), 0x01000193);
    h = Math.imul(h ^ (p >>> 16), 0x01000193);
  }
  return h >>> 0;
}

export interface Draw {
  ox1: number;
  oy1: number;
  scale: number;
  angle: number;
  ox2: number;
  oy2: number;
}

export function drawTransform(rand: () => number, o: TransformOptions): Draw {
  const int = (n: number) => Math.floor(rand() * (n + 1));
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  return {
    ox1: int(o.jitter1),
    oy1: int(o.jitter1),
    scale: pick(o.scales),
    angle: (pick(o.anglesDeg) * Math.PI) / 180,
    ox2: int(o.jitter2),
    oy2: int(o.jitter2),
  };
}

export function naturalOutputSize(h: number, w: number, o: TransformOptions): [number, number] {
  return [h + 2 * o.pad - o.jitter1 - o.jitter2, w + 2 * o.pad - o.jitter1 - o.jitter2];
}

/**
 * One transform draw per batch item as an affine map from output pixel (u, v) to source position:
 * y = c0 + c1·v + c2·u, x = c3 + c4·v + c5·u (coefficients item by item in `affine`).
 */
export interface SamplingMap {
  affine: Float64Array;
  /** Source image size [b, h, w]. */
  source: [number, number, number];
  outH: number;
  outW: number;
  padValue: number;
}

/** The map of one transform draw per batch item (see transformsForSize for the amounts). */
export function samplingMap(h: number, w: number, draws: Draw[], o: TransformOptions): SamplingMap {
  const [natH, natW] = naturalOutputSize(h, w, o);
  const [outH, outW] = o.outputSize ?? [natH, natW];
  // Intermediate frame after the first jitter: size (nat + jitter2); rotation and scale act about its centre.
  const cy = (natH + o.jitter2 - 1) / 2;
  const cx = (natW + o.jitter2 - 1) / 2;
  const sv = natH / outH;
  const su = natW / outW;
  const affine = new Float64Array(draws.length * 6);
  draws.forEach((d, i) => {
    // Output pixel → natural frame (resize) → mid frame (second jitter) → rotate/scale → padded frame → image.
    const cos = Math.cos(d.angle) / d.scale;
    const sin = Math.sin(d.angle) / d.scale;
    const my0 = 0.5 * sv - 0.5 + d.oy2 - cy;
    const mx0 = 0.5 * su - 0.5 + d.ox2 - cx;
    affine.set(
      [
        cy + d.oy1 - o.pad + cos * my0 - sin * mx0,
        cos * sv,
        -sin * su,
        cx + d.ox1 - o.pad + sin * my0 + cos * mx0,
        sin * sv,
        cos * su,
      ],
      i * 6,
    );
  });
  return { affine, source: [draws.length, h, w], outH, outW, padValue: o.padValue };
}

/** A map's corners as arrays, for the op formulation of the sampler (GPU backends). */
export interface SamplingPlan {
  /** Per output pixel: the flattened [b·h·w] source index of its 4 bilinear neighbours (0 where unused). */
  cornerIndex: Int32Array;
  /** Their weights, zero for neighbours in the padding. */
  cornerWeight: Float32Array;
  /** Pad value times the weight that fell into the padding, per output pixel. */
  fill: Float32Array;
  source: [number, number, number];
  outH: number;
  outW: number;
}

/** The same sampling seen from the source: per source pixel, `slots` entries of the output pixels it feeds. */
interface SourceSide {
  sourceTarget: Int32Array;
  sourceWeight: Float32Array;
  slots: number;
}

/**
 * The map's bilinear corners as arrays. The wasm/cpu kernels (kernels/sampling.ts) walk the same corners without
 * arrays; this is for the op formulation only, which runs on GPU backends.
 */
export function samplingPlan(map: SamplingMap): SamplingPlan {
  const [b, h, w] = map.source;
  const { outH, outW, affine } = map;
  const n = b * outH * outW;
  const cornerIndex = new Int32Array(n * 4);
  const cornerWeight = new Float32Array(n * 4);
  const fill = new Float32Array(n);
  for (let bi = 0; bi < b; bi++) {
    const [c0, c1, c2, c3, c4, c5] = affine.subarray(bi * 6, bi * 6 + 6);
    for (let v = 0; v < outH; v++) {
      for (let u = 0; u < outW; u++) {
        const py = c0 + c1 * v + c2 * u;
        const px = c3 + c4 * v + c5 * u;
        const y0 = Math.floor(py);
        const x0 = Math.floor(px);
        const pix = (bi * outH + v) * outW + u;
        let inside = 0;
        for (let c = 0; c < 4; c++) {
          const yy = y0 + (c >> 1);
          const xx = x0 + (c & 1);
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          const wt = (c >> 1 ? py - y0 : 1 - (py - y0)) * (c & 1 ? px - x0 : 1 - (px - x0));
          cornerIndex[pix * 4 + c] = (bi * h + yy) * w + xx;
          cornerWeight[pix * 4 + c] = wt;
          inside += wt;
        }
        fill[pix] = map.padValue * (1 - inside);
      }
    }
  }
  return { cornerIndex, cornerWeight, fill, source: map.source, outH, outW };
}

/**
 * The same corners seen from the source (the op formulation's backward gathers through it): `slots` blocks, slot-major
 * ([slot, source pixel]), each naming per source pixel an output pixel it feeds and with what weight (unused entries:
 * pixel 0, weight 0).
 */
function sourceSide(plan: SamplingPlan): SourceSide {
  const [b, h, w] = plan.source;
  const { cornerIndex, cornerWeight } = plan;
  const count = new Int32Array(b * h * w);
  for (let k = 0; k < cornerWeight.length; k++) if (cornerWeight[k] !== 0) count[cornerIndex[k]]++;
  let slots = 1;
  for (let i = 0; i < count.length; i++) if (count[i] > slots) slots = count[i];
  const sourceTarget = new Int32Array(count.length * slots);
  const sourceWeight = new Float32Array(count.length * slots);
  count.fill(0);
  for (let k = 0; k < cornerWeight.length; k++) {
    const wt = cornerWeight[k];
    if (wt === 0) continue;
    const src = cornerIndex[k];
    const slot = count[src]++ * count.length + src;
    sourceTarget[slot] = k >> 2;
    sourceWeight[slot] = wt;
  }
  return { sourceTarget, sourceWeight, slots };
}

/**
 * Applies a sampling map to an image batch [b, h, w, c]; differentiable with respect to the image.
 * wasm and cpu walk the four bilinear corners in registered kernels (kernels/sampling.ts); GPU backends use
 * applySamplingOps.
 */
export function applySampling(image: tf.Tensor4D, map: SamplingMap): tf.Tensor4D {
  if (onJsBackend()) return sampleOnJsBackend(image, map);
  return applySamplingOps(image, map);
}

/**
 * The sampler from tfjs ops, for the GPU backends: gathers both ways. The forward gathers each output pixel's four
 * source corners; the backward gathers, for each source pixel, the output gradients it fed. No scatter: tfjs's WebGL
 * scatter loops over every update for every output element: at 128 px, billions of iterations a step, growing with
 * the square of the batch (BENCHMARKS.md, "The GPU sampler").
 */
export function applySamplingOps(image: tf.Tensor4D, map: SamplingMap): tf.Tensor4D {
  const plan = samplingPlan(map);
  const [b, h, w, ch] = image.shape;
  const n = b * plan.outH * plan.outW;
  const p = b * h * w;
  const side = sourceSide(plan);
  const k = side.slots;
  // One gather per slot (corner, or source slot), the weighted rows added pairwise. A tf.sum over a small middle axis
  // instead ran a reduction per output element, which on WebGPU took over half of a step; tf.addN of the same
  // products gave wrong images on WebGPU (tfjs 4.22; the e2e comparison with wasm caught it).
  /** Slot-major arrays ([slot, row]) as one index and one weight tensor per slot. */
  const slots = (index: Int32Array, weight: Float32Array, rows: number, count: number) =>
    Array.from({ length: count }, (_, s) => ({
      index: tf.tensor1d(index.subarray(s * rows, (s + 1) * rows), 'int32'),
      weight: tf.tensor2d(weight.subarray(s * rows, (s + 1) * rows), [rows, 1]),
    }));
  const corners = slots(slotMajor(plan.cornerIndex, n, 4), slotMajor(plan.cornerWeight, n, 4), n, 4);
  const fed = slots(side.sourceTarget, side.sourceWeight, p, k);
  const fill = tf.tensor2d(plan.fill, [n, 1]);
  /** Σ over slots of weight × the rows of `from` [·, ch] that the slot's index names (pairwise adds, see above). */
  const weighted = (from: tf.Tensor, parts: { index: tf.Tensor; weight: tf.Tensor }[]) =>
    parts.map(({ index, weight }) => tf.mul(tf.gather(from, index), weight)).reduce((a, c) => tf.add(a, c));
  // Tensors a backward pass needs must go through `save`: the forward scope disposes everything else.
  const f: GradFunc = (...args) => {
    const img = args[0] as tf.Tensor;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    save(fed.flatMap(({ index, weight }) => [index, weight]));
    const value = tf.add(weighted(img.reshape([p, ch]), corners), fill).reshape([b, plan.outH, plan.outW, ch]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const parts = Array.from({ length: k }, (_, s) => ({ index: saved[2 * s], weight: saved[2 * s + 1] }));
      return weighted(dy.reshape([n, ch]), parts).reshape([b, h, w, ch]);
    };
    return { value, gradFunc };
  };
  return tf.customGrad(f)(image) as tf.Tensor4D;
}

/** [rows, slots] → [slots, rows]. */
function slotMajor<T extends Int32Array | Float32Array>(a: T, rows: number, slots: number): T {
  const out = new (a.constructor as { new (n: number): T })(a.length);
  for (let r = 0; r < rows; r++) for (let s = 0; s < slots; s++) out[s * rows + r] = a[r * slots + s];
  return out;
}
