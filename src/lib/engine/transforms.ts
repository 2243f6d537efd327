/**
 * Random, differentiable transformations applied to the image before each step (transformation robustness).
 *
 * Lucid's chain — pad, jitter, random scale, random rotation, jitter — is composed here into one affine map from
 * output pixels to source pixels, sampled bilinearly; pixels that fall into the padding take the pad value. The
 * output has a fixed size (so backends compile their kernels once); scaling zooms about the centre. Sampling is a
 * gather whose gradient is a scatter-add (both exist on every backend, unlike the gradients of tfjs's rotation ops).
 * All randomness comes from a seeded generator per batch item.
 */
import * as tf from '@tensorflow/tfjs';

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

export interface SamplingPlan {
  /** Source pixel index (into the flattened [b·h·w] batch) of the 4 bilinear neighbours of every output pixel. */
  indices: Int32Array;
  /** Their weights, zero for neighbours in the padding. */
  weights: Float32Array;
  /** Pad value times the weight that fell into the padding. */
  fill: Float32Array;
  outH: number;
  outW: number;
}

/** Builds the bilinear sampling of one transform draw per batch item. */
export function samplingPlan(h: number, w: number, draws: Draw[], o: TransformOptions): SamplingPlan {
  const [natH, natW] = naturalOutputSize(h, w, o);
  const [outH, outW] = o.outputSize ?? [natH, natW];
  const b = draws.length;
  const n = b * outH * outW;
  const indices = new Int32Array(n * 4);
  const weights = new Float32Array(n * 4);
  const fill = new Float32Array(n);
  // Intermediate frame after the first jitter: size (nat + jitter2); rotation and scale act about its centre.
  const midH = natH + o.jitter2;
  const midW = natW + o.jitter2;
  const cy = (midH - 1) / 2;
  const cx = (midW - 1) / 2;
  for (let bi = 0; bi < b; bi++) {
    const d = draws[bi];
    const cos = Math.cos(d.angle) / d.scale;
    const sin = Math.sin(d.angle) / d.scale;
    for (let v = 0; v < outH; v++) {
      for (let u = 0; u < outW; u++) {
        // Output pixel → natural frame (resize) → mid frame (second jitter) → rotate/scale → padded frame → image.
        const nv = ((v + 0.5) * natH) / outH - 0.5;
        const nu = ((u + 0.5) * natW) / outW - 0.5;
        const my = nv + d.oy2 - cy;
        const mx = nu + d.ox2 - cx;
        const py = cy + cos * my - sin * mx + d.oy1 - o.pad;
        const px = cx + sin * my + cos * mx + d.ox1 - o.pad;
        const y0 = Math.floor(py);
        const x0 = Math.floor(px);
        const fy = py - y0;
        const fx = px - x0;
        const k = (bi * outH * outW + v * outW + u) * 4;
        let inside = 0;
        const corners: [number, number, number][] = [
          [y0, x0, (1 - fy) * (1 - fx)],
          [y0, x0 + 1, (1 - fy) * fx],
          [y0 + 1, x0, fy * (1 - fx)],
          [y0 + 1, x0 + 1, fy * fx],
        ];
        for (let c = 0; c < 4; c++) {
          const [yy, xx, wt] = corners[c];
          if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
            indices[k + c] = bi * h * w + yy * w + xx;
            weights[k + c] = wt;
            inside += wt;
          } else {
            indices[k + c] = bi * h * w;
            weights[k + c] = 0;
          }
        }
        fill[k / 4] = o.padValue * (1 - inside);
      }
    }
  }
  return { indices, weights, fill, outH, outW };
}

/** Applies a sampling plan to an image batch [b, h, w, 3]; differentiable with respect to the image. */
export function applySampling(image: tf.Tensor4D, plan: SamplingPlan): tf.Tensor4D {
  const [b, h, w, ch] = image.shape;
  const n = b * plan.outH * plan.outW;
  const idx = tf.tensor1d(plan.indices, 'int32');
  const wts = tf.tensor3d(plan.weights, [n, 4, 1]);
  const fill = tf.tensor2d(plan.fill, [n, 1]);
  // Tensors a backward pass needs must go through `save`: the forward scope disposes everything else.
  const f: GradFunc = (...args) => {
    const img = args[0] as tf.Tensor;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    save([idx, wts]);
    const flat = img.reshape([b * h * w, ch]);
    const picked = tf.gather(flat, idx).reshape([n, 4, ch]);
    const value = tf.add(tf.sum(tf.mul(picked, wts), 1), fill).reshape([b, plan.outH, plan.outW, ch]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sIdx, sWts] = saved;
      const spread = tf.mul(dy.reshape([n, 1, ch]), sWts).reshape([n * 4, ch]);
      return tf.scatterND(sIdx.reshape([n * 4, 1]), spread, [b * h * w, ch]).reshape([b, h, w, ch]);
    };
    return { value, gradFunc };
  };
  return tf.customGrad(f)(image) as tf.Tensor4D;
}
