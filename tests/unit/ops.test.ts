import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/lib/node/backend.ts';
import { clippedRelu, clippedReluGradOps, matMulConstLeft, matMulConstRight } from '../../src/lib/engine/ops.ts';
import { conv, depthwiseConv, padGeometry, prepareConv } from '../../src/lib/engine/conv-ops.ts';
import { createParam, idftMatrices } from '../../src/lib/engine/param.ts';
import { heapKernel } from '../../src/lib/engine/kernels/simd/heap-module.ts';
import { channelMeansKernel } from '../../src/lib/engine/kernels/channel-mean.ts';
import {
  applySampling,
  applySamplingOps,
  drawTransform,
  LUCID_TRANSFORMS,
  rng,
  samplingMap,
  samplingPlan,
} from '../../src/lib/engine/transforms.ts';

/** Max absolute difference between two tensors. */
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('input-only gradients match TensorFlow.js reference kernels (cpu)', () => {
  beforeAll(async () => {
    await useBackend(['cpu']);
  });
  const cases: { k: number; s: number; pad: 'same' | 'valid'; size: number; m: number }[] = [
    { k: 3, s: 1, pad: 'same', size: 9, m: 1 },
    { k: 3, s: 2, pad: 'same', size: 10, m: 1 },
    { k: 3, s: 2, pad: 'same', size: 9, m: 2 },
    { k: 3, s: 2, pad: 'valid', size: 11, m: 1 },
    { k: 5, s: 2, pad: 'same', size: 12, m: 1 },
    { k: 1, s: 1, pad: 'same', size: 6, m: 1 },
  ];
  for (const c of cases) {
    it(`depthwise and full conv k${c.k} s${c.s} ${c.pad} on ${c.size}px (multiplier ${c.m})`, () => {
      tf.tidy(() => {
        const x = tf.randomNormal([2, c.size, c.size, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
        const dk = tf.randomNormal([c.k, c.k, 4, c.m], 0, 1, 'float32', 2) as tf.Tensor4D;
        const fk = tf.randomNormal([c.k, c.k, 4, 5], 0, 1, 'float32', 3) as tf.Tensor4D;
        const weightOut = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', 4)));
        const s: [number, number] = [c.s, c.s];
        const ours = tf.grad((v) => weightOut(depthwiseConv(v as tf.Tensor4D, dk, s, c.pad)))(x);
        const ref = tf.grad((v) => weightOut(tf.depthwiseConv2d(v as tf.Tensor4D, dk, s, c.pad)))(x);
        expect(maxDiff(ours, ref)).toBeLessThan(1e-3);
        const ours2 = tf.grad((v) => weightOut(conv(v as tf.Tensor4D, fk, s, c.pad)))(x);
        const ref2 = tf.grad((v) => weightOut(tf.conv2d(v as tf.Tensor4D, fk, s, c.pad)))(x);
        expect(maxDiff(ours2, ref2)).toBeLessThan(1e-3);
        expect(ours.shape).toEqual(x.shape);
      });
    });
  }

  it('prepared convs (bias fused, explicit padding of a folded ZeroPadding2D) match pad + conv + bias, on cpu and wasm', async () => {
    const pads: [[number, number], [number, number]] = [
      [0, 1],
      [0, 1],
    ];
    const cases = [
      { k: [3, 3, 4, 1] as [number, number, number, number], depthwise: true, stride: [2, 2] as [number, number], padding: pads },
      {
        k: [3, 3, 4, 5] as [number, number, number, number],
        depthwise: false,
        stride: [2, 2] as [number, number],
        padding: pads,
      },
      {
        k: [3, 3, 4, 1] as [number, number, number, number],
        depthwise: true,
        stride: [1, 1] as [number, number],
        padding: 'same' as const,
      },
      {
        k: [1, 1, 4, 5] as [number, number, number, number],
        depthwise: false,
        stride: [1, 1] as [number, number],
        padding: 'same' as const,
      },
    ];
    /** Output and input gradient of each case, on the current backend, by `prepareConv` or by plain tfjs ops. */
    const outcomes = (ours: boolean) => {
      const owned: tf.Tensor[] = [];
      const keep = <T extends tf.Tensor>(t: T) => (owned.push(t), t);
      const before = tf.memory().numTensors;
      const result = cases.map((c, i) =>
        tf.tidy(() => {
          const x = tf.randomNormal([2, 10, 10, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
          const k = tf.randomNormal(c.k, 0, 1, 'float32', 2 + i) as tf.Tensor4D;
          const bias = tf.randomNormal([c.depthwise ? c.k[2] * c.k[3] : c.k[3]], 0, 1, 'float32', 9);
          const run = ours
            ? prepareConv({ kernel: k, depthwise: c.depthwise, stride: c.stride, padding: c.padding, bias }, keep)
            : null;
          const f = (v: tf.Tensor) => {
            if (run) return run(v as tf.Tensor4D);
            const p = Array.isArray(c.padding) ? tf.pad(v, [[0, 0], c.padding[0], c.padding[1], [0, 0]]) : v;
            const mode = Array.isArray(c.padding) ? 'valid' : c.padding;
            const y = c.depthwise
              ? tf.depthwiseConv2d(p as tf.Tensor4D, k, c.stride, mode)
              : tf.conv2d(p as tf.Tensor4D, k, c.stride, mode);
            return tf.add(y, bias);
          };
          const wts = tf.randomNormal(f(x).shape, 0, 1, 'float32', 7);
          const grad = tf.grad((v) => tf.sum(tf.mul(f(v), wts)))(x);
          return { y: Array.from(f(x).dataSync()), g: Array.from(grad.dataSync()) };
        }),
      );
      // Backward kernels are built once and owned by the caller; nothing else survives.
      expect(tf.memory().numTensors).toBe(before + owned.length);
      expect(owned.length).toBe(ours ? cases.length : 0);
      for (const t of owned) t.dispose();
      return result;
    };
    const reference = outcomes(false);
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend([backend]);
      const got = outcomes(true);
      got.forEach((r, i) => {
        const dy = Math.max(...r.y.map((v, j) => Math.abs(v - reference[i].y[j])));
        const dg = Math.max(...r.g.map((v, j) => Math.abs(v - reference[i].g[j])));
        expect(dy, `${backend} case ${i} forward`).toBeLessThan(1e-4);
        expect(dg, `${backend} case ${i} gradient`).toBeLessThan(1e-3);
      });
    }
    await useBackend(['cpu']);
  });

  it('computes TensorFlow padding geometry', () => {
    expect(padGeometry(224, 3, 2, 1, 'same')).toEqual({ before: 0, after: 1, out: 112 });
    expect(padGeometry(9, 3, 2, 1, 'same')).toEqual({ before: 1, after: 1, out: 5 });
    expect(padGeometry(11, 3, 2, 1, 'valid')).toEqual({ before: 0, after: 0, out: 5 });
    expect(padGeometry(224, 3, 2, 1, [0, 1])).toEqual({ before: 0, after: 1, out: 112 });
  });

  it('ReLU6 without redirection has the reference gradient', () => {
    tf.tidy(() => {
      const x = tf.mul(tf.randomNormal([2, 5, 5, 3], 0, 1, 'float32', 5), 5);
      const w = tf.randomNormal([2, 5, 5, 3], 0, 1, 'float32', 6);
      const ours = tf.grad((v) => tf.sum(tf.mul(clippedRelu(v, 6, false), w)))(x);
      const ref = tf.grad((v) => tf.sum(tf.mul(tf.relu6(v), w)))(x);
      expect(maxDiff(ours, ref)).toBeLessThan(1e-6);
      const oursRelu = tf.grad((v) => tf.sum(tf.mul(clippedRelu(v, Infinity, false), w)))(x);
      const refRelu = tf.grad((v) => tf.sum(tf.mul(tf.relu(v), w)))(x);
      expect(maxDiff(oursRelu, refRelu)).toBeLessThan(1e-6);
    });
  });

  it('redirected ReLU6 lets gradient through only when none would pass, and only towards the active range', () => {
    tf.tidy(() => {
      // Item 0: all inputs dead (below 0 or above 6); item 1 has one live unit.
      const x = tf.tensor4d([-1, -2, 7, 8, -1, 3, 7, -5], [2, 1, 4, 1]);
      const up = tf.tensor4d([1, -1, -1, 1, 1, 2, 1, 1], [2, 1, 4, 1]);
      const g = tf.grad((v) => tf.sum(tf.mul(clippedRelu(v, 6, true), up)))(x);
      // Dead item: below 0 keeps only positive pushes, above 6 keeps only negative pushes.
      // Live item: the ordinary gradient (only the unit at 3 passes).
      expect(Array.from(g.dataSync())).toEqual([1, 0, -1, 0, 0, 2, 0, 0]);
    });
  });

  it('ReLU6 / ReLU backward on cpu and wasm: plain and redirected, at the exact 0 and cap values', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend([backend]);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        // Item 0 has live units; item 1 is dead (all below 0 or above the cap); exact 0 and cap values included.
        const live = tf.mul(tf.randomNormal([1, 6, 6, 3], 0, 1, 'float32', 11), 5);
        const dead = tf.add(tf.mul(tf.sign(tf.randomNormal([1, 6, 6, 3], 0, 1, 'float32', 12)), 8), 0);
        const edges = tf.tensor4d([0, 6, -0, 6, 0, 6], [1, 1, 2, 3]);
        const x = tf.concat([live, dead]);
        const dy = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 13);
        for (const cap of [6, Infinity]) {
          for (const redirect of [false, true]) {
            const ops = clippedReluGradOps(x, dy, cap, redirect);
            const kernel = tf.grad((v) => tf.sum(tf.mul(clippedRelu(v, cap, redirect), dy)))(x);
            expect(maxDiff(ops, kernel), `${backend} cap ${cap} redirect ${redirect}`).toBe(0);
            if (cap === 6)
              expect(maxDiff(tf.slice(ops, [1], [1]), tf.zeros([1, 6, 6, 3])) > 0, 'the dead item gets a gradient').toBe(
                redirect,
              );
          }
          const e = tf.grad((v) => tf.sum(clippedRelu(v, cap, false)))(edges);
          expect(maxDiff(e, clippedReluGradOps(edges, tf.onesLike(edges), cap, false))).toBe(0);
        }
      });
      expect(tf.memory().numTensors).toBe(before);
    }
    await useBackend(['cpu']);
  });

  it('constant matmuls with stored transposes have the reference gradient', () => {
    tf.tidy(() => {
      const w = tf.randomNormal([5, 7], 0, 1, 'float32', 7) as tf.Tensor2D;
      const x = tf.randomNormal([3, 5], 0, 1, 'float32', 8) as tf.Tensor2D;
      const y = tf.randomNormal([7, 4], 0, 1, 'float32', 9) as tf.Tensor2D;
      // Constants live outside the gradient's scope, as in the engine.
      const wT = w.transpose() as tf.Tensor2D;
      const a = tf.grad((v) => tf.sum(tf.square(matMulConstRight(v as tf.Tensor2D, w, wT))))(x);
      const b = tf.grad((v) => tf.sum(tf.square(tf.matMul(v as tf.Tensor2D, w))))(x);
      expect(maxDiff(a, b)).toBeLessThan(1e-4);
      const c = tf.grad((v) => tf.sum(tf.square(matMulConstLeft(w, wT, v as tf.Tensor2D))))(y);
      const d = tf.grad((v) => tf.sum(tf.square(tf.matMul(w, v as tf.Tensor2D))))(y);
      expect(maxDiff(c, d)).toBeLessThan(1e-4);
    });
  });
});

describe('Fourier parameterization', () => {
  beforeAll(async () => {
    await useBackend(['cpu']);
  });
  it('the DFT matrices invert a real spectrum like numpy.fft.irfft2', () => {
    // A single cosine at row frequency 1, column frequency 2 on an 8×6 grid.
    const h = 8;
    const w = 6;
    const { m1, m2, wHalf } = idftMatrices(h, w);
    const spec = tf.buffer([2 * h, wHalf]);
    spec.set(h * w, 1, 2); // real part of X[1, 2]
    const img = tf.tidy(() =>
      tf.matMul(
        tf
          .matMul(tf.tensor2d(m1, [2 * h, 2 * h]), spec.toTensor() as tf.Tensor2D)
          .reshape([2, h, wHalf])
          .transpose([1, 0, 2])
          .reshape([h, 2 * wHalf]) as tf.Tensor2D,
        tf.tensor2d(m2, [2 * wHalf, w]),
      ),
    );
    const data = img.dataSync();
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        // irfft2 of a lone half-spectrum entry X[1,2]=hw gives 2·cos(2π(y/8 + 2x/6)).
        expect(data[y * w + x]).toBeCloseTo(2 * Math.cos(2 * Math.PI * (y / h + (2 * x) / w)), 4);
      }
    img.dispose();
  });

  it('starts near grey, keeps values in [0,1], and gives each seed its own image', () => {
    const p = createParam({ kind: 'fourier', height: 32, width: 32, seeds: [1, 2] });
    tf.tidy(() => {
      const img = p.toImage(p.variable);
      expect(img.shape).toEqual([2, 32, 32, 3]);
      const v = img.dataSync();
      expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...v)).toBeLessThanOrEqual(1);
      expect(Math.abs(tf.mean(img).dataSync()[0] - 0.5)).toBeLessThan(0.05);
      const [a, b] = tf.split(img, 2);
      expect(maxDiff(a, b)).toBeGreaterThan(1e-4);
    });
    const alone = createParam({ kind: 'fourier', height: 32, width: 32, seeds: [2] });
    tf.tidy(() => {
      const fromBatch = tf.split(p.toImage(p.variable), 2)[1];
      expect(maxDiff(fromBatch, alone.toImage(alone.variable))).toBeLessThan(1e-5);
    });
    p.dispose();
    alone.dispose();
  });
});

describe('transform sampling', () => {
  beforeAll(async () => {
    await useBackend(['wasm']);
  });
  it('its gradient is the exact adjoint of the sampling (⟨Ax, y⟩ = ⟨x, Aᵀy⟩)', () => {
    const r = rng(3);
    const draws = [0, 1, 2].map(() => drawTransform(r, LUCID_TRANSFORMS));
    const plan = samplingMap(40, 40, draws, LUCID_TRANSFORMS);
    tf.tidy(() => {
      const x = tf.randomUniform([3, 40, 40, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const ax = applySampling(x, plan);
      const y = tf.randomNormal(ax.shape, 0, 1, 'float32', 2);
      const fillArray = samplingPlan(plan).fill;
      const fill = tf.tensor2d(fillArray, [fillArray.length, 1]).reshape([3, plan.outH, plan.outW, 1]);
      const lhs = tf.sum(tf.mul(tf.sub(ax, fill), y)).dataSync()[0];
      const aty = tf.grad((v) => tf.sum(tf.mul(applySampling(v as tf.Tensor4D, plan), y)))(x);
      const rhs = tf.sum(tf.mul(x, aty)).dataSync()[0];
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-2 * Math.max(1, Math.abs(lhs)));
    });
  });

  it("the sampling kernels (wasm, cpu) give the op formulation's values and gradients, for 3 and 1 planes", async () => {
    const r = rng(5);
    const draws = [0, 1].map(() => drawTransform(r, LUCID_TRANSFORMS));
    // The natural crop (38 px from 32), and the crop resampled to the render size as renders do.
    for (const plan of [
      samplingMap(32, 32, draws, LUCID_TRANSFORMS),
      samplingMap(32, 32, draws, { ...LUCID_TRANSFORMS, outputSize: [32, 32] }),
    ])
      for (const backend of ['wasm', 'cpu'] as const) {
        await useBackend([backend]);
        // On wasm a 3-channel image goes through the SIMD loop (simd/sampling.wat).
        if (backend === 'wasm') expect(heapKernel(tf.backend(), 'sampling'), 'SIMD sampler bound').not.toBeNull();
        for (const planes of [3, 1]) {
          const before = tf.memory().numTensors;
          tf.tidy(() => {
            const x = tf.randomUniform([2, 32, 32, planes], 0, 1, 'float32', 6) as tf.Tensor4D;
            const y = tf.randomNormal([2, plan.outH, plan.outW, planes], 0, 1, 'float32', 7);
            const score = (sample: typeof applySampling) => (v: tf.Tensor) => tf.sum(tf.mul(sample(v as tf.Tensor4D, plan), y));
            expect(maxDiff(applySampling(x, plan), applySamplingOps(x, plan)), `${backend} ${planes} values`).toBeLessThan(1e-5);
            expect(
              maxDiff(tf.grad(score(applySampling))(x), tf.grad(score(applySamplingOps))(x)),
              `${backend} ${planes} gradient`,
            ).toBeLessThan(1e-4);
          });
          expect(tf.memory().numTensors).toBe(before);
        }
      }
    await useBackend(['wasm']);
  });

  it('with no movement it reproduces the image, and pads with the pad value', () => {
    const opts = { ...LUCID_TRANSFORMS, pad: 2, jitter1: 0, jitter2: 0 };
    const plan = samplingMap(6, 6, [{ ox1: 2, oy1: 2, ox2: 0, oy2: 0, scale: 1, angle: 0 }], opts);
    expect([plan.outH, plan.outW]).toEqual([10, 10]);
    tf.tidy(() => {
      const x = tf.randomUniform([1, 6, 6, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
      const out = applySampling(x, plan);
      // Offset 2 in a frame padded by 2: the image lands shifted by 0 relative to the crop origin.
      const shifted = out.slice([0, 0, 0, 0], [1, 6, 6, 3]);
      expect(maxDiff(shifted, x)).toBeLessThan(1e-5);
      expect(
        out
          .slice([0, 8, 8, 0], [1, 2, 2, 3])
          .dataSync()
          .every((v) => Math.abs(v - 0.5) < 1e-6),
      ).toBe(true);
    });
  });
});

describe('the channel objective kernel', () => {
  it('scores and differentiates like the op formulation (one channel, a weighted mix, a repeated channel)', async () => {
    const terms = [
      [{ index: 3, weight: 1 }],
      [
        { index: 0, weight: 0.25 },
        { index: 5, weight: -1.5 },
      ],
      [
        { index: 7, weight: 1 },
        { index: 7, weight: 0.5 },
      ],
    ];
    for (const backend of ['wasm', 'cpu'] as const) {
      await useBackend([backend]);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const a = tf.randomNormal([3, 5, 7, 9], 0, 1, 'float32', 8) as tf.Tensor4D;
        const w = new Float32Array(3 * 9);
        terms.forEach((t, i) => t.forEach((x) => (w[i * 9 + x.index] += x.weight)));
        const byOps = (v: tf.Tensor) => tf.mean(tf.sum(tf.mul(v, tf.tensor4d(w, [3, 1, 1, 9])), 3), [1, 2]);
        const byKernel = (v: tf.Tensor) => channelMeansKernel(v as tf.Tensor4D, terms)!;
        expect(maxDiff(byKernel(a), byOps(a)), `${backend} scores`).toBeLessThan(1e-6);
        const y = tf.tensor1d([1, -2, 0.5]);
        const grad = (f: (v: tf.Tensor) => tf.Tensor) => tf.grad((v) => tf.sum(tf.mul(f(v), y)))(a);
        expect(maxDiff(grad(byKernel), grad(byOps)), `${backend} gradient`).toBeLessThan(1e-7);
      });
      expect(tf.memory().numTensors).toBe(before);
    }
    await useBackend(['wasm']);
  });
});
