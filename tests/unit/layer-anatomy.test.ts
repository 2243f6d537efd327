/**
 * The layer inspector's numbers (src/lib/engine/layer-anatomy.ts) against values computed by hand: the founding
 * text's 5×5 → 3×3 example, MobileNet v1 α0.25 (Keras and graph) and DigitNet.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { layerAnatomies, outputSize, samePadding, type LayerAnatomy } from '../../src/lib/engine/layer-anatomy.ts';
import { FeatureModel } from '../../src/lib/engine/model.ts';
import type { Network } from '../../src/lib/engine/network.ts';
import { fileReader, loadLayersReference } from '../../src/lib/node/files.ts';
import { registryEntry } from '../../src/lib/models/registry.ts';
import { ensureModel, REPO_ROOT } from '../../src/lib/node/model-cache.ts';
import { GRAPH, model, SMALL } from './helpers.ts';

function anatomy(m: FeatureModel, name: string): LayerAnatomy {
  const a = m.layers.find((l) => l.name === name)?.anatomy;
  if (!a) throw new Error(`no anatomy for ${name}`);
  return a;
}

describe('the arithmetic', () => {
  it('gives the text example: a 3×3 kernel maps a 5×5 input to 3×3 with 9 weights, where a dense layer needs 225', () => {
    const id = (x: tf.Tensor[]) => x[0];
    const net: Network = {
      inputName: 'in',
      outputName: 'c',
      constants: [],
      nodes: [
        { name: 'in', kind: 'InputLayer', inputs: [], run: id },
        {
          name: 'c',
          kind: 'Conv2D',
          inputs: ['in'],
          run: id,
          anatomy: {
            op: 'conv',
            kernel: [3, 3],
            stride: [1, 1],
            dilation: 1,
            padding: 'valid',
            weights: 9,
            biases: 0,
            source: 'c',
            layerClass: 'Conv2D',
          },
        },
      ],
    };
    const shapes = new Map([
      ['in', [1, 5, 5, 1]],
      ['c', [1, 3, 3, 1]],
    ]);
    const a = layerAnatomies(net, shapes, ['c']).get('c')!;
    expect(a.weights).toBe(9);
    expect(a.denseWeights).toBe(225);
    expect(a.macs).toBe(81); // 9 outputs × 9 products
    expect(a.formula!.height).toBe('⌊(5 + 0 + 0 − 3) / 1⌋ + 1 = 3');
  });

  it("computes TensorFlow's 'same' padding and the output size", () => {
    expect(samePadding(224, 112, 3, 2)).toEqual([0, 1]); // the odd pixel goes to the bottom
    expect(samePadding(28, 28, 3, 1)).toEqual([1, 1]);
    expect(samePadding(14, 14, 5, 1)).toEqual([2, 2]);
    expect(samePadding(7, 7, 1, 1)).toEqual([0, 0]);
    expect(outputSize(224, 0, 1, 3, 2)).toBe(112);
    expect(outputSize(28, 0, 0, 2, 2)).toBe(14);
    expect(outputSize(32, 2, 2, 3, 1, 2)).toBe(32); // dilation 2: a 5-pixel window
  });
});

describe('MobileNet v1 α0.25', () => {
  let m: FeatureModel;
  let g: FeatureModel;
  beforeAll(async () => {
    m = await model(SMALL);
    g = await model(GRAPH);
  });

  it('explains conv1: 3×3 stride 2, one pixel of padding at the bottom and right, 224 → 112, 216 weights', () => {
    const a = anatomy(m, 'conv1_bn');
    expect(a).toMatchObject({ op: 'conv1', opClass: 'Conv2D', kind: 'conv', kernel: [3, 3], stride: [2, 2] });
    expect(a.padding).toEqual({ mode: 'same', top: 0, bottom: 1, left: 0, right: 1 });
    expect(a.input).toEqual([224, 224, 3]);
    expect(a.output).toEqual([112, 112, 8]);
    expect(a.formula!.height).toBe('⌊(224 + 0 + 1 − 3) / 2⌋ + 1 = 112');
    expect(a.weights).toBe(3 * 3 * 3 * 8);
    expect(a.macs).toBe(112 * 112 * 8 * 27);
    expect(a.denseWeights).toBe(224 * 224 * 3 * 112 * 112 * 8);
    // The activation after it explains the same operation.
    expect(anatomy(m, 'conv1_relu').op).toBe('conv1');
  });

  it('explains a separable block: depthwise 3×3 + pointwise 1×1 against one full 3×3 conv of the same shape', () => {
    const dw = anatomy(m, 'conv_dw_2_bn');
    expect(dw).toMatchObject({
      kind: 'depthwise',
      op: 'conv_dw_2',
      weights: 9 * 16,
      input: [112, 112, 16],
      output: [56, 56, 16],
    });
    expect(dw.macs).toBe(56 * 56 * 16 * 9);
    const pw = anatomy(m, 'conv_pw_2_relu');
    expect(pw).toMatchObject({ kind: 'pointwise', op: 'conv_pw_2', weights: 16 * 32, output: [56, 56, 32] });
    const expected = {
      window: [3, 3],
      depthwise: 144,
      pointwise: 512,
      full: 3 * 3 * 16 * 32,
      macsSeparable: 56 * 56 * 16 * 9 + 56 * 56 * 16 * 32,
      macsFull: 56 * 56 * 32 * 9 * 16,
    };
    expect(dw.separable).toEqual(expected);
    expect(pw.separable).toEqual(expected);
    // The deepest block: 9·256 + 256·256 weights against 9·256·256.
    expect(anatomy(m, 'conv_pw_13_bn').separable).toMatchObject({ depthwise: 2304, pointwise: 65536, full: 589824 });
  });

  it('places each unit on the input: conv_pw_6 units are 16 px apart, the first centred on pixel 15', () => {
    // conv1 (3×3, stride 2, no pixel before): centre 1, jump 2; each stride-2 3×3 depthwise with 'same' padding (none
    // before) moves the first centre by one jump: 3 (jump 4), 7 (jump 8), 15 (jump 16).
    expect(m.layers.find((l) => l.name === 'conv1_bn')!.grid).toEqual({ start: [1, 1], jump: [2, 2] });
    expect(m.layers.find((l) => l.name === 'conv_dw_1_bn')!.grid).toEqual({ start: [1, 1], jump: [2, 2] });
    expect(m.layers.find((l) => l.name === 'conv_pw_2_bn')!.grid).toEqual({ start: [3, 3], jump: [4, 4] });
    expect(m.layers.find((l) => l.name === 'conv_pw_6_bn')!.grid).toEqual({ start: [15, 15], jump: [16, 16] });
    expect(m.layers.find((l) => l.name === 'conv_pw_13_bn')!.grid).toEqual({ start: [31, 31], jump: [32, 32] });
  });

  it('explains the global pool and the classifier', () => {
    const pool = anatomy(m, 'global_average_pooling2d_1');
    expect(pool).toMatchObject({ kind: 'pool', kernel: [7, 7], input: [7, 7, 256], output: [1, 1, 256] });
    const preds = anatomy(m, 'conv_preds');
    expect(preds).toMatchObject({ kind: 'pointwise', weights: 256 * 1000, biases: 1000, macs: 256 * 1000 });
  });

  it("carries the first conv's filters and the depthwise kernels as the model stores them, for the kernel view", async () => {
    const ref = await loadLayersReference(await ensureModel(registryEntry(SMALL)!));
    const conv1 = anatomy(m, 'conv1_bn').values!;
    expect(conv1.shape).toEqual([3, 3, 3, 8]);
    expect(conv1.weights).toEqual(Array.from(ref.getLayer('conv1').getWeights()[0].dataSync()));
    const dw = anatomy(m, 'conv_dw_2_relu').values!;
    expect(dw.shape).toEqual([3, 3, 16, 1]);
    expect(dw.weights).toEqual(Array.from(ref.getLayer('conv_dw_2').getWeights()[0].dataSync()));
    expect(anatomy(m, 'conv_pw_2_bn').values).toBeUndefined(); // 16 input channels: no picture to draw
    ref.dispose();
  });

  it('gives the graph model the same numbers for the same layers', () => {
    const first = g.layers.find((l) => l.name.endsWith('Conv2d_0/Relu6'))!.anatomy!;
    expect(first).toMatchObject({ kind: 'conv', kernel: [3, 3], stride: [2, 2], weights: 216, input: [224, 224, 3] });
    expect(first.padding).toEqual({ mode: 'same', top: 0, bottom: 1, left: 0, right: 1 });
    const pw = g.layers.find((l) => l.name.endsWith('Conv2d_2_pointwise/Relu6'))!.anatomy!;
    expect(pw.separable).toMatchObject({ depthwise: 144, pointwise: 512, full: 4608 });
  });
});

describe('DigitNet', () => {
  let m: FeatureModel;
  beforeAll(async () => {
    await model(SMALL); // starts the backend
    const { read, entry } = fileReader(join(REPO_ROOT, 'tests', 'fixtures', 'digitnet', 'model.json'));
    m = await FeatureModel.load(read, { id: 'digitnet', inputRange: [0, 1] }, entry);
  });

  it('explains a conv, a separable conv, a 5×5 depthwise, a max pool, a dense layer and a merge', () => {
    const stem = anatomy(m, 'stem_swish');
    expect(stem).toMatchObject({ op: 'stem', kind: 'conv', weights: 144, input: [28, 28, 1], output: [28, 28, 16] });
    expect(stem.padding).toEqual({ mode: 'same', top: 1, bottom: 1, left: 1, right: 1 });
    expect(stem.denseWeights / stem.weights).toBe((28 * 28 * 28 * 28 * 16) / 144);

    const sep = anatomy(m, 'res_relu1');
    expect(sep).toMatchObject({ op: 'res_sep1', kind: 'separable', weights: 144 + 256 });
    expect(sep.separable).toMatchObject({ depthwise: 144, pointwise: 256, full: 2304 });

    const dw = anatomy(m, 'mix_dw5');
    expect(dw).toMatchObject({ kind: 'depthwise', kernel: [5, 5], weights: 400, biases: 16 });
    expect(dw.padding).toEqual({ mode: 'same', top: 2, bottom: 2, left: 2, right: 2 });
    expect(dw.separable).toMatchObject({ depthwise: 400, pointwise: 256, full: 5 * 5 * 16 * 16 });

    const pool = anatomy(m, 'pool1');
    expect(pool).toMatchObject({ kind: 'pool', kernel: [2, 2], stride: [2, 2], output: [14, 14, 16] });
    expect(pool.formula!.width).toBe('⌊(28 + 0 + 0 − 2) / 2⌋ + 1 = 14');

    expect(anatomy(m, 'se_reduce')).toMatchObject({ kind: 'dense', weights: 56 * 14, biases: 14, input: [1, 1, 56] });
    expect(anatomy(m, 'res_add')).toMatchObject({ kind: 'merge', weights: 0 });
  });
});
