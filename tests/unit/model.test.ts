import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { SliceCache } from '../../src/lib/engine/slice-cache.ts';
import { loadLayersReference } from '../../src/lib/node/files.ts';
import { loadModel } from '../../src/lib/node/load-model.ts';
import { modelDir } from '../../src/lib/node/model-cache.ts';
import { GRAPH, model, photos, SMALL } from './helpers.ts';

const top1 = (logits: tf.Tensor, offset: number) =>
  tf.tidy(() => Array.from(tf.argMax(logits.reshape([logits.shape[0], -1]), 1).dataSync()).map((i) => i - offset));

describe('layers model (MobileNet v1 α0.25) as plain ops', () => {
  it('classifies the sample photos as the reference run does (tabby / seashore / bow tie)', async () => {
    const m = await model(SMALL);
    const x = await photos(224);
    const out = m.forward(x, [m.logitsLayer!.name]);
    const labels = top1(out.get(m.logitsLayer!.name)!, 0).map((i) => m.info.labels![i]);
    expect(labels[0]).toMatch(/tabby/);
    expect(labels[1]).toMatch(/seashore/);
    expect(labels[2]).toMatch(/bow tie/);
    tf.dispose([x, ...out.values()]);
  });

  it('a conv fused with its ReLU6 gives the same values and gradients as the two run apart (plain and redirected)', async () => {
    const m = await model(SMALL);
    const x = await photos(128);
    const last = 'conv_pw_3_relu';
    // Asking for every batch-norm output as well keeps each conv apart from its ReLU6 (a conv that is itself asked
    // for does not fuse); asking for the last ReLU6 alone lets all of them fuse.
    const apart = m.layers.map((l) => l.name).filter((n) => /^conv(1|_dw_[123]|_pw_[123])_bn$/.test(n));
    expect(apart.length).toBe(7);
    for (const redirect of [false, true]) {
      const [fused, separate] = [[last], [...apart, last]].map((layers) =>
        tf.tidy(() => {
          const score = (v: tf.Tensor) => {
            const out = m.forward(v as tf.Tensor4D, layers, redirect).get(last)!;
            return tf.sum(tf.mul(out, tf.randomNormal(out.shape, 0, 1, 'float32', 2)));
          };
          return { value: score(x).dataSync()[0], grad: tf.grad(score)(x).dataSync() };
        }),
      );
      expect(Math.abs(fused.value - separate.value) / Math.abs(separate.value), `value, redirect ${redirect}`).toBeLessThan(1e-5);
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < fused.grad.length; i++) {
        worst = Math.max(worst, Math.abs(fused.grad[i] - separate.grad[i]));
        scale = Math.max(scale, Math.abs(separate.grad[i]));
      }
      expect(worst / scale, `gradient, redirect ${redirect}`).toBeLessThan(1e-4);
    }
    x.dispose();
  });

  it('a conv layer the objective reads in part computes only those channels, with the same values and input gradient', async () => {
    const x = await photos(96);
    const want = [1, 5, 7];
    const hub = 'module_apply_default/MobilenetV1/MobilenetV1';
    const pw = `${hub}/Conv2d_3_pointwise/BatchNorm/FusedBatchNorm/Mul`;
    // Pointwise (1×1), the strided 3×3 first conv, a depthwise conv (with the ReLU6 and pointwise conv below it), a
    // strided one, a ReLU6; not in part: a depthwise conv whose way down another asked-for layer reads, and a conv
    // another asked-for layer reads; and a graph model's nodes.
    for (const [id, layers, target, partial] of [
      [SMALL, ['conv_pw_4_bn'], 'conv_pw_4_bn', true],
      [SMALL, ['conv1_bn'], 'conv1_bn', true],
      [SMALL, ['conv_dw_4_bn'], 'conv_dw_4_bn', true],
      [SMALL, ['conv_dw_2_bn'], 'conv_dw_2_bn', true],
      [SMALL, ['conv_pw_3_relu'], 'conv_pw_3_relu', true],
      [SMALL, ['conv_dw_4_bn', 'conv_pw_3_relu'], 'conv_dw_4_bn', false],
      [SMALL, ['conv_pw_3_bn', 'conv_pw_4_bn'], 'conv_pw_3_bn', false],
      [GRAPH, [pw], pw, true],
      // The TF-Hub graph's usual targets: a ReLU6 after the offset Add after a conv, and after a depthwise conv.
      [GRAPH, [`${hub}/Conv2d_3_pointwise/Relu6`], `${hub}/Conv2d_3_pointwise/Relu6`, true],
      [GRAPH, [`${hub}/Conv2d_4_depthwise/Relu6`], `${hub}/Conv2d_4_depthwise/Relu6`, true],
    ] as const) {
      const m = await model(id);
      const weights = [0.7, -1.3, 2.1];
      for (const redirect of [false, true]) {
        const cache = new SliceCache();
        const before = tf.memory().numTensors;
        const run = (some: boolean) =>
          tf.tidy(() => {
            let subset: number[] | undefined;
            const score = (v: tf.Tensor) => {
              const asked = some ? { [target]: want } : undefined;
              const { acts, subsets } = m.forwardSome(v as tf.Tensor4D, [...layers], redirect, asked, cache);
              subset = subsets.get(target);
              const a = acts.get(target)!;
              // Σ weight · channel, over the channels in `want` (the whole output: weights placed at those channels).
              const w = new Float32Array(a.shape[3]!);
              want.forEach((c, j) => (w[subset ? j : c] = weights[j]));
              return tf.sum(tf.mul(a, tf.tensor1d(w)));
            };
            const value = score(x).dataSync()[0];
            return { value, grad: tf.grad(score)(x).dataSync(), subset };
          });
        const [part, whole] = [run(true), run(false)];
        const what = `${target}, redirect ${redirect}`;
        expect(part.subset, what).toEqual(partial ? want : undefined);
        expect(whole.subset).toBeUndefined();
        expect(Math.abs(part.value - whole.value) / Math.abs(whole.value), what).toBeLessThan(1e-5);
        let worst = 0;
        let scale = 0;
        for (let i = 0; i < whole.grad.length; i++) {
          worst = Math.max(worst, Math.abs(part.grad[i] - whole.grad[i]));
          scale = Math.max(scale, Math.abs(whole.grad[i]));
        }
        expect(scale, what).toBeGreaterThan(0);
        expect(worst / scale, what).toBeLessThan(1e-4);
        // The sliced weights live in the cache until it is let go, and no longer.
        cache.dispose();
        expect(tf.memory().numTensors, what).toBe(before);
      }
    }
    x.dispose();
  });

  it('matches tfjs-layers on an inner layer, batch-norm folded or not', async () => {
    const m = await model(SMALL);
    const ref = await loadLayersReference(modelDir(SMALL));
    const x = await photos(224);
    for (const layer of ['conv_pw_5_bn', 'conv_pw_5', 'conv_dw_6_relu']) {
      const cut = tf.model({ inputs: ref.inputs, outputs: ref.getLayer(layer).output as tf.SymbolicTensor });
      const diff = tf.tidy(() => {
        const expected = cut.predict(tf.sub(tf.mul(x, 2), 1)) as tf.Tensor;
        const ours = m.forward(x, [layer]).get(layer)!;
        return tf.max(tf.abs(tf.sub(ours, expected))).dataSync()[0] / tf.max(tf.abs(expected)).dataSync()[0];
      });
      expect(diff, layer).toBeLessThan(1e-4);
    }
    ref.dispose();
    x.dispose();
  });

  it('mean/std standardization: [0,1] with mean 0.5, std 0.5 feeds the network exactly what [-1,1] does', async () => {
    const m = await model(SMALL);
    const x = await photos(64);
    const a = tf.tidy(() => m.preprocess(x).dataSync());
    m.setInputRange([0, 1], { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    const b = tf.tidy(() => m.preprocess(x).dataSync());
    m.setInputRange([-1, 1]);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-6);
    x.dispose();
  });

  it('lists layers in depth order with output shape, stride and receptive field', async () => {
    const m = await model(SMALL);
    const names = m.layers.map((l) => l.name);
    expect(names.indexOf('conv1')).toBeLessThan(names.indexOf('conv_pw_1_bn'));
    expect(names.indexOf('conv_pw_3_bn')).toBeLessThan(names.indexOf('conv_pw_7_bn'));
    expect(m.layer('conv1_relu')).toMatchObject({ shape: [112, 112, 8], stride: 2, receptiveField: 3 });
    expect(m.layer('conv_pw_1_bn')).toMatchObject({ shape: [112, 112, 16], stride: 2, receptiveField: 7 });
    // conv1 3/2 → 3; dw1 → 7; dw2 (stride 2) → 11; dw3 at stride 4 → 19.
    expect(m.layer('conv_pw_3_bn')).toMatchObject({ shape: [56, 56, 32], stride: 4, receptiveField: 19 });
    expect(m.layer('conv_pw_13_relu')).toMatchObject({ shape: [7, 7, 256], stride: 32 });
    expect(m.logitsLayer).toMatchObject({ name: 'conv_preds', shape: [1, 1, 1000] });
    expect(() => m.layer('conv_pw_99')).toThrow(/unknown layer "conv_pw_99".*valid layers include/);
    // The nearest names, nearest first: a typo finds its layer, not whatever contains it.
    expect(() => m.layer('conv_pw_3_nb')).toThrow(/valid layers include: conv_pw_3_bn, /);
    expect(() => m.layer('Conv_PW_99')).toThrow(/include: conv_pw_9, /);
    // Nothing close: a few from each end.
    expect(() => m.layer('softmax_output')).toThrow(/include: conv1, conv1_bn, conv1_relu, …, /);
  });
});

describe('graph model (TF-Hub MobileNet v1 α0.25)', () => {
  it("a converter's fused conv node (conv, bias, ReLU6 in one) computes the objective's channels alone, as its ReLU6", async () => {
    // The TF-Hub graph runs Conv2D, Add (the folded batch norm's offset) and Relu6 as three nodes; tfjs-converter
    // usually emits one _FusedConv2D. Rewritten so: the fused node's output is the original Relu6 node's.
    const base = 'module_apply_default/MobilenetV1/MobilenetV1/Conv2d_3_pointwise';
    const src = modelDir(GRAPH);
    const dir = mkdtempSync(join(tmpdir(), 'fs-fused-'));
    const json = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8'));
    for (const g of json.weightsManifest) for (const p of g.paths) copyFileSync(join(src, p), join(dir, p));
    const conv = json.modelTopology.node.find((n: { name: string }) => n.name === `${base}/BatchNorm/FusedBatchNorm/Mul`);
    conv.op = '_FusedConv2D';
    conv.input.push(`${base}/BatchNorm/FusedBatchNorm/Offset`);
    conv.attr.fused_ops = { list: { s: [btoa('BiasAdd'), btoa('Relu6')] } };
    conv.attr.num_args = { i: '1' };
    // And the depthwise conv after it, fed by the fused node, as a fused depthwise node with its offset and a ReLU6
    // (its batch norm's scale left out: this node is compared with itself computed whole).
    const dwName = base.replace('3_pointwise', '4_depthwise');
    const dw = json.modelTopology.node.find((n: { name: string }) => n.name === `${dwName}/depthwise`);
    dw.op = 'FusedDepthwiseConv2dNative';
    dw.input = [conv.name, dw.input[1], `${dwName}/BatchNorm/FusedBatchNorm/Offset`];
    dw.attr.fused_ops = { list: { s: [btoa('BiasAdd'), btoa('Relu6')] } };
    dw.attr.num_args = { i: '1' };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    const plain = await model(GRAPH);
    const fused = await loadModel(join(dir, 'model.json'), plain.info.inputRange);
    const x = await photos(96);
    const want = [3, 17, 30];
    const picked = (a: tf.Tensor, whole: boolean) =>
      whole
        ? tf.stack(want.map((c) => tf.slice(a, [0, 0, 0, c], [-1, -1, -1, 1])))
        : tf.stack(want.map((_, j) => tf.slice(a, [0, 0, 0, j], [-1, -1, -1, 1])));
    const [part, reference] = tf.tidy(() => {
      const { acts, subsets } = fused.forwardSome(x, [conv.name], false, { [conv.name]: want });
      expect(subsets.get(conv.name)).toEqual(want);
      const relu = plain.forward(x, [`${base}/Relu6`]).get(`${base}/Relu6`)!;
      return [picked(acts.get(conv.name)!, false).dataSync(), picked(relu, true).dataSync()];
    });
    let worst = 0;
    for (let i = 0; i < part.length; i++) worst = Math.max(worst, Math.abs(part[i] - reference[i]));
    expect(Math.max(...reference)).toBeGreaterThan(0);
    expect(worst).toBeLessThan(1e-4);
    // The fused depthwise node computes the same channels of the fused conv below it (a render's cache: the chain).
    const cache = new SliceCache();
    const [dwPart, dwWhole] = tf.tidy(() => {
      const { acts, subsets } = fused.forwardSome(x, [dw.name], false, { [dw.name]: want }, cache);
      expect(subsets.get(dw.name)).toEqual(want);
      return [picked(acts.get(dw.name)!, false).dataSync(), picked(fused.forward(x, [dw.name]).get(dw.name)!, true).dataSync()];
    });
    cache.dispose();
    let dwWorst = 0;
    for (let i = 0; i < dwPart.length; i++) dwWorst = Math.max(dwWorst, Math.abs(dwPart[i] - dwWhole[i]));
    expect(Math.max(...dwWhole)).toBeGreaterThan(0);
    expect(dwWorst).toBeLessThan(1e-4);
    fused.dispose();
    x.dispose();
  });

  it('classifies the photos and exposes its inner nodes as layers', async () => {
    const m = await model(GRAPH);
    expect(m.format).toBe('graph');
    const x = await photos(224);
    const out = m.forward(x, [m.logitsLayer!.name]);
    const labels = top1(out.get(m.logitsLayer!.name)!, 1).map((i) => m.info.labels![i]);
    expect(labels[0]).toMatch(/tabby/);
    expect(labels[2]).toMatch(/suit/);
    tf.dispose([x, ...out.values()]);
    const relu = m.layer('module_apply_default/MobilenetV1/MobilenetV1/Conv2d_3_pointwise/Relu6');
    expect(relu).toMatchObject({ shape: [56, 56, 32], stride: 4, receptiveField: 19 });
  });
});
