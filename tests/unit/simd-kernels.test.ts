import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/lib/node/backend.ts';
import { clippedReluGradKernel } from '../../src/lib/engine/kernels/clipped-relu-grad.ts';
import { clippedReluGradOps } from '../../src/lib/engine/ops.ts';
import { heapKernel } from '../../src/lib/engine/kernels/simd/heap-module.ts';
import { SIMD_KERNELS } from '../../src/lib/engine/kernels/simd/binaries.ts';
import { shareIdentityOnWasm } from '../../src/lib/engine/kernels/shared-identity.ts';
import { compileSimdKernels } from '../../scripts/simd-compile.ts';
import { Adam } from '../../src/lib/engine/adam.ts';
import { depthwiseConv } from '../../src/lib/engine/conv-ops.ts';

const SIMD_DIR = path.join(import.meta.dirname, '../../src/lib/engine/kernels/simd');

/** dy · (step(x) − step(x − cap)): the backward as tfjs ops (what the kernel replaces). */
function reference(x: tf.Tensor, dy: tf.Tensor, cap: number): tf.Tensor {
  const above = tf.step(x);
  return tf.mul(dy, Number.isFinite(cap) ? tf.sub(above, tf.step(tf.sub(x, cap))) : above);
}

/** Inputs of n values with exact 0, exact cap, negatives, values above the cap and infinities mixed in. */
function inputs(n: number, seed: number): [tf.Tensor, tf.Tensor] {
  const specials = [0, 6, -0, -3, 9, Infinity, -Infinity, 6.0000005, 1e-30];
  const x = Float32Array.from({ length: n }, (_, i) =>
    i % 5 === 0 ? specials[(i / 5) % specials.length] : Math.sin(i * 12.9898 + seed) * 10,
  );
  const dy = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 78.233 + seed) * 3);
  return [tf.tensor1d(x), tf.tensor1d(dy)];
}

describe('hand-written SIMD kernels', () => {
  afterAll(async () => {
    await useBackend(['cpu']);
  });

  it('binaries.ts is what the .wat sources compile to (run `npm run build:simd` after editing them)', async () => {
    const committed = fs.readFileSync(path.join(SIMD_DIR, 'binaries.ts'), 'utf8');
    expect(committed).toBe(await compileSimdKernels(SIMD_DIR));
  });

  it('the clipped-ReLU backward equals the op formulation on wasm (SIMD, bound to the heap) and cpu', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await useBackend([backend]);
      if (backend === 'wasm') expect(heapKernel(tf.backend(), 'clipped-relu-grad'), 'SIMD module bound').not.toBeNull();
      const before = tf.memory().numTensors;
      // Lengths 1–9 cover the scalar tail after the four-lane loop; 10007 a long run with a tail of 3.
      for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 10007]) {
        for (const cap of [6, Infinity]) {
          tf.tidy(() => {
            const [x, dy] = inputs(n, n);
            const got = clippedReluGradKernel(x, dy, cap);
            expect(got, `${backend}: kernel available`).not.toBeNull();
            // Compared as numbers (+ 0 turns the reference's −0 products into 0).
            const values = (t: tf.Tensor) => Array.from(t.dataSync(), (v) => v + 0);
            expect(values(got!), `${backend} n ${n} cap ${cap}`).toEqual(values(reference(x, dy, cap)));
          });
        }
      }
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('the redirected backward equals the op formulation item by item (live and dead items, any length)', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await useBackend([backend]);
      const before = tf.memory().numTensors;
      for (const n of [1, 3, 4, 6, 9, 1001]) {
        for (const cap of [6, Infinity]) {
          tf.tidy(() => {
            const [live, dy0] = inputs(n, 1);
            // A dead item: every x below 0 or above the cap (so its ordinary gradient is zero everywhere).
            const dead = tf.tensor1d(Array.from({ length: n }, (_, i) => (i % 3 === 0 && cap === 6 ? 7 + i : -1 - i)));
            const [, dy1] = inputs(n, 2);
            // A live x whose dy is exactly 0 keeps an item dead, too.
            const zeroDy = tf.concat([tf.tensor1d([3]), dead.slice(1)]);
            const x = tf.stack([live, dead, zeroDy]);
            const dy = tf.stack([dy0, dy1, tf.concat([tf.tensor1d([0]), dy1.slice(1)])]);
            const values = (t: tf.Tensor) => Array.from(t.dataSync(), (v) => v + 0);
            expect(values(clippedReluGradKernel(x, dy, cap, true)!), `${backend} n ${n} cap ${cap}`).toEqual(
              values(clippedReluGradOps(x, dy, cap, true)),
            );
          });
        }
      }
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('the unshared-memory variant (single-threaded SIMD build) computes the same', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const bytes = Uint8Array.from(atob(SIMD_KERNELS['clipped-relu-grad'].unshared), (c) => c.charCodeAt(0));
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const heap = new Float32Array(memory.buffer);
    const xs = [-1, 0, 0.5, 6, 7, 3, Infinity];
    heap.set(xs, 0);
    heap.set([1, 2, 3, 4, 5, 6, 7], 16);
    heap.fill(99, 32, 40);
    (exports.clippedReluGrad as (...a: number[]) => void)(0, 64, 128, xs.length, 6);
    expect(Array.from(heap.slice(32, 40))).toEqual([0, 0, 3, 4, 0, 6, 0, 99]);
  });

  it('binds to the single-threaded SIMD build too (the studio without cross-origin isolation)', () => {
    const tsx = path.join(import.meta.dirname, '../../node_modules/.bin/tsx');
    const run = spawnSync(tsx, [path.join(import.meta.dirname, 'simd-single-thread.ts')], {
      encoding: 'utf8',
      env: { ...process.env, FEATURESCOPE_WASM_THREADS: '1' },
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      threads: 1,
      bound: true,
      values: [0, 0, 3, 4, 0, 6, 0, 8, 9],
      fft: [1, 0, 0, 1, -1, 0, 0, -1],
    });
  });

  it('the one-pass Adam step gives the same bits on wasm (SIMD) as the op formulation on cpu, over a schedule', async () => {
    // 1003 values: a four-lane body and a tail of 3; gradients of mixed signs and sizes, some exactly 0.
    const grads = (step: number) =>
      tf.tensor1d(
        Float32Array.from({ length: 1003 }, (_, i) => (i % 7 === 0 ? 0 : Math.sin(i * 1.7 + step) * 10 ** ((i % 5) - 2))),
      );
    const run = async (backend: 'wasm' | 'cpu') => {
      await useBackend([backend]);
      const x = tf.variable(tf.tensor1d(Float32Array.from({ length: 1003 }, (_, i) => Math.cos(i))));
      const adam = new Adam(x, { lr: 0.05, lrEnd: 0.01, steps: 6 });
      const before = tf.memory().numTensors;
      for (let step = 1; step <= 6; step++) tf.tidy(() => adam.ascend(x, grads(step), step));
      expect(tf.memory().numTensors, `${backend}: no tensor growth`).toBe(before);
      const values = Array.from(x.dataSync());
      adam.dispose();
      x.dispose();
      return values;
    };
    const wasm = await run('wasm');
    expect(heapKernel(tf.backend(), 'adam'), 'the Adam module bound').not.toBeNull();
    expect(wasm).toEqual(await run('cpu'));
  });

  it("a strided depthwise conv's input gradient on wasm (SIMD kernel) equals tfjs's own on cpu", async () => {
    // MobileNet's case (3×3, stride 2, 'same', even size), odd sizes, 'valid', a 5×5 window at stride 3.
    const cases = [
      { h: 64, c: 48, k: 3, s: 2, pad: 'same' },
      { h: 33, c: 8, k: 3, s: 2, pad: 'same' },
      { h: 31, c: 12, k: 3, s: 2, pad: 'valid' },
      { h: 20, c: 4, k: 5, s: 3, pad: 'same' },
    ] as const;
    for (const { h, c, k, s, pad } of cases) {
      await useBackend(['cpu']);
      const x = tf.randomNormal([2, h, h, c], 0, 1, 'float32', h).dataSync();
      const w = tf.randomNormal([k, k, c, 1], 0, 1, 'float32', c).dataSync();
      const outShape = tf.depthwiseConv2d(
        tf.zeros([2, h, h, c]) as tf.Tensor4D,
        tf.zeros([k, k, c, 1]) as tf.Tensor4D,
        s,
        pad,
      ).shape;
      const dy = tf.randomNormal(outShape, 0, 1, 'float32', k).dataSync();
      const gradient = (conv: (v: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor) => {
        const f = tf.tensor4d(w, [k, k, c, 1]);
        const g = tf.grad((v) => tf.sum(tf.mul(conv(v as tf.Tensor4D, f), tf.tensor(dy, outShape))))(
          tf.tensor4d(x, [2, h, h, c]),
        );
        return g.dataSync();
      };
      const reference = gradient((v, f) => tf.depthwiseConv2d(v, f, s, pad));
      await useBackend(['wasm']);
      expect(heapKernel(tf.backend(), 'depthwise-backward'), 'the module bound').not.toBeNull();
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => gradient((v, f) => depthwiseConv(v, f, [s, s], pad)));
      expect(tf.memory().numTensors).toBe(before);
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < got.length; i++) {
        worst = Math.max(worst, Math.abs(got[i] - reference[i]));
        scale = Math.max(scale, Math.abs(reference[i]));
      }
      expect(worst / scale, `${h}px ${k}×${k} stride ${s} ${pad}`).toBeLessThan(1e-6);
    }
  });

  it("wasm's Identity shares memory instead of copying, and the clone outlives its source", async () => {
    await useBackend(['wasm']);
    shareIdentityOnWasm();
    const x = tf.tensor1d([1, 2, 3]);
    const buffers = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers, 'no new buffer').toBe(buffers);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    // A gradient that saves its input (clones it for the backward pass) still gets the right values.
    const g = tf.grad((v) => tf.sum(tf.mul(v, v)))(y);
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
    y.dispose();
    g.dispose();
  });
});
