import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FeatureModel } from '../../src/lib/engine/model.ts';
import { evaluate, render } from '../../src/lib/engine/render.ts';
import { fileReader } from '../../src/lib/node/files.ts';
import { loadModel } from '../../src/lib/node/load-model.ts';
import { modelDir } from '../../src/lib/node/model-cache.ts';
import { model, photos, SMALL } from './helpers.ts';
import { saveRescalingModel } from './rescaling-model.ts';
import { saveToyModel } from './toy-model.ts';

const load = (dir: string, range: [number, number] = [0, 1], maxBytes?: number) => {
  const { read, entry } = fileReader(join(dir, 'model.json'));
  return FeatureModel.load(read, { id: dir, inputRange: range }, entry, maxBytes);
};

describe('a model of an architecture the project has never seen', () => {
  let dir: string;
  let ref: tf.LayersModel;
  beforeAll(async () => {
    await model(SMALL); // backend
    dir = mkdtempSync(join(tmpdir(), 'fs-toy-'));
    ref = await saveToyModel(dir);
  });

  it('loads from model.json + weights, grayscale 56×48, and matches tfjs-layers on every kind of layer', async () => {
    const m = await load(dir);
    expect(m.inputShape).toEqual([56, 48, 1]);
    expect(m.layer('prelu3').kind).toBe('PReLU (generic)');
    expect(m.layer('crop3')).toMatchObject({ shape: [12, 10, 28], stride: 4, receptiveField: 12 });
    expect(m.layer('c4')).toMatchObject({ stride: 4, receptiveField: 20 });
    const x = tf.randomUniform([2, 56, 48, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const gray = m.preprocess(x);
    for (const l of ['bn1', 'add2', 'lrelu2', 'cat3', 'prelu3', 'crop3', 'c4', 'apool4', 'probs']) {
      const cut = tf.model({ inputs: ref.inputs, outputs: ref.getLayer(l).output as tf.SymbolicTensor });
      const rel = tf.tidy(() => {
        const e = cut.predict(gray) as tf.Tensor;
        const o = m.forward(x, [l]).get(l)!;
        return tf.max(tf.abs(tf.sub(e, o))).dataSync()[0] / tf.max(tf.abs(e)).dataSync()[0];
      });
      expect(rel, l).toBeLessThan(1e-4);
    }
    tf.dispose([x, gray]);
    m.dispose();
  });

  it('renders channels through its generic layers that beat every photo (random weights: no 2× claim)', async () => {
    const m = await load(dir);
    const ph = await photos(56);
    for (const layer of ['c4', 'crop3']) {
      const chans = [0, 1, 2];
      const r = await render(
        m,
        { layer, steps: 96, size: 56, transforms: false },
        chans.map((index) => ({ index })),
      );
      chans.forEach((c, i) => {
        const best = Math.max(...evaluate(m, ph, 'channel', layer, [c, c, c]));
        expect(r.cleanValues[i], `${layer}:${c} vs best photo ${best.toFixed(4)}`).toBeGreaterThan(best);
      });
    }
    ph.dispose();
    m.dispose();
  });
});

describe('a model that rescales its own input (Keras Rescaling layer)', () => {
  it('runs Rescaling on the fast path, declares [0, 255], and the CLI uses it when no range is given', async () => {
    await model(SMALL);
    const dir = mkdtempSync(join(tmpdir(), 'fs-rescale-'));
    const ref = await saveRescalingModel(dir);
    const m = await loadModel(join(dir, 'model.json'));
    expect(m.layer('rescale').kind).toBe('Rescaling');
    expect(m.declaredRange?.range).toEqual([0, 255]);
    expect(m.declaredRange?.why).toMatch(/layer rescale rescales the input itself \(×0\.007843 − 1\)/);
    expect(m.info.inputRange).toEqual([0, 255]);
    // Images in [0, 1] reach the network as pixel values, as tfjs-layers gets them.
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const rel = tf.tidy(() => {
      const e = ref.predict(tf.mul(x, 255)) as tf.Tensor;
      const o = m.forward(x, ['probs']).get('probs')!;
      return tf.max(tf.abs(tf.sub(e, o))).dataSync()[0] / tf.max(tf.abs(e)).dataSync()[0];
    });
    expect(rel).toBeLessThan(1e-5);
    // An explicit range still wins.
    const explicit = await loadModel(join(dir, 'model.json'), [0, 1]);
    expect(explicit.info.inputRange).toEqual([0, 1]);
    x.dispose();
    ref.dispose();
    m.dispose();
    explicit.dispose();
  });
});

describe('the graph model (TF-Hub format, input [0,1]) as a model brought from files', () => {
  it('renders channels of an inner node to at least twice the best photo', async () => {
    await model(SMALL);
    const dir = modelDir('mobilenet_v1_0.25_224_tfhub_graph');
    const m = await load(dir, [0, 1]);
    const layer = 'module_apply_default/MobilenetV1/MobilenetV1/Conv2d_7_pointwise/BatchNorm/FusedBatchNorm';
    const chans = [0, 1, 2, 3];
    const r = await render(
      m,
      { layer, steps: 256, size: 128 },
      chans.map((index) => ({ index })),
    );
    const ph = await photos(128);
    chans.forEach((c, i) => {
      const best = Math.max(...evaluate(m, ph, 'channel', layer, [c, c, c]));
      expect(r.cleanValues[i], `channel ${c} vs best photo ${best.toFixed(2)}`).toBeGreaterThanOrEqual(2 * Math.max(best, 0));
      expect(r.cleanValues[i]).toBeGreaterThan(0);
    });
    ph.dispose();
    m.dispose();
  });
});

/** A broken copy of a real package: `mutate` gets the parsed model.json and the folder. */
function broken(src: string, mutate: (json: Record<string, any>, dir: string) => unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'fs-broken-'));
  const json = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8'));
  for (const g of json.weightsManifest) for (const p of g.paths) copyFileSync(join(src, p), join(dir, p));
  const out = mutate(json, dir);
  writeFileSync(join(dir, 'model.json'), typeof out === 'string' ? out : JSON.stringify(json));
  return dir;
}

describe('broken model packages get a clear message, leak nothing, and leave the loaded model working', () => {
  let toy: string;
  const graph = () => modelDir('mobilenet_v1_0.25_224_tfhub_graph');
  const small = () => modelDir(SMALL);
  beforeAll(async () => {
    await model(SMALL);
    toy = mkdtempSync(join(tmpdir(), 'fs-toy-'));
    (await saveToyModel(toy)).dispose();
  });
  const layers = (j: any) => j.modelTopology.model_config?.config.layers ?? j.modelTopology.config.layers;

  const cases: [string, () => string, RegExp][] = [
    ['malformed JSON', () => broken(small(), () => '{"modelTopology": '), /model.json: not valid JSON/],
    ['JSON that is not a model', () => broken(small(), () => '["hello"]'), /no modelTopology/],
    ['no weightsManifest', () => broken(small(), (j) => void delete j.weightsManifest), /no weightsManifest/],
    [
      'a manifest group without paths',
      () => broken(small(), (j) => void delete j.weightsManifest[0].paths),
      /lacks "paths" or "weights"/,
    ],
    [
      'a weight with a negative dimension',
      () => broken(small(), (j) => void (j.weightsManifest[0].weights[0].shape = [3, -3])),
      /weight "conv1\/kernel" has no valid name and shape/,
    ],
    [
      'a missing weight file',
      () => broken(small(), (j) => void (j.weightsManifest[2].paths = ['group3-missing'])),
      /weight file group3-missing: cannot be read/,
    ],
    [
      'a short weight file',
      () => broken(small(), (_j, d) => writeFileSync(join(d, 'group1-shard1of1'), new Uint8Array(100))),
      /weight file group1-shard1of1: 100 bytes, but the manifest needs 864 bytes/,
    ],
    [
      'an unsupported dtype',
      () => broken(small(), (j) => void (j.weightsManifest[0].weights[0].dtype = 'complex64')),
      /unsupported dtype complex64/,
    ],
    [
      'weights too large for memory',
      () => broken(small(), (j) => void (j.weightsManifest[0].weights[0].shape = [100000, 100000])),
      /weights need \d+\.\d MB, more than the 1024\.0 MB allowed/,
    ],
    [
      'an unknown layer type',
      () => broken(toy, (j) => void (layers(j)[3].class_name = 'MyFancyLayer')),
      /layer pool1: layer type MyFancyLayer is not supported/,
    ],
    [
      'an unknown activation',
      () => broken(toy, (j) => void (layers(j)[1].config.activation = 'gelu_fancy')),
      /layer c1: activation "gelu_fancy" is not supported/,
    ],
    // Renamed in the manifest: the file still matches its sizes, and the layer's kernel is what is missing.
    [
      'a weight missing from the manifest',
      () =>
        broken(
          toy,
          (j) => void (j.weightsManifest[0].weights.find((w: any) => w.name === 'c4/kernel').name = 'c4/kernel_renamed'),
        ),
      /layer c4: weight kernel is missing from the weights manifest/,
    ],
    [
      'a weight of a generic (tfjs-layers) layer missing from the manifest',
      () =>
        broken(
          toy,
          (j) => void (j.weightsManifest[0].weights.find((w: any) => w.name.startsWith('prelu3/')).name = 'prelu3/renamed'),
        ),
      /prelu3/,
    ],
    [
      'a weight listed twice',
      () => broken(small(), (j) => void j.weightsManifest[1].weights.push({ ...j.weightsManifest[0].weights[0] })),
      /weight conv1\/kernel is listed twice in the manifest/,
    ],
    [
      'a weight path that leaves the model folder',
      () => broken(small(), (j) => void (j.weightsManifest[0].paths = ['../../../../etc/passwd'])),
      /weight path "..\/..\/..\/..\/etc\/passwd" leaves the model's folder/,
    ],
    [
      'an absolute weight path (a device that never ends)',
      () => broken(small(), (j) => void (j.weightsManifest[0].paths = ['/dev/zero'])),
      /weight path "\/dev\/zero" leaves the model's folder/,
    ],
    [
      'a weight file longer than the manifest declares',
      () => broken(small(), (_j, d) => writeFileSync(join(d, 'group1-shard1of1'), new Uint8Array(5000))),
      /weight file group1-shard1of1: longer than the 864 bytes the manifest declares/,
    ],
    [
      'a declared input of 4500×4500',
      () => broken(toy, (j) => void (layers(j)[0].config.batch_input_shape = [null, 4500, 4500, 1])),
      /input is 4500×4500×1; at that size layer \S+ would be about \d+×\d+×\d+ \([\d.]+ GB per image\), more than the 512 MB/,
    ],
    [
      'a ZeroPadding2D of 3000 pixels',
      () =>
        broken(
          toy,
          (j) =>
            void (layers(j).find((l: any) => l.config.name === 'zpad3').config.padding = [
              [3000, 3000],
              [3000, 3000],
            ]),
        ),
      /at that size layer \S+ would be about 60\d\d×60\d\d×\d+ .*more than the 512 MB/,
    ],
    [
      'an input that is not an image (rank 2)',
      () => broken(toy, (j) => void (layers(j)[0].config.batch_input_shape = [null, 2688])),
      /input has shape \[null, 2688\]: not an image/,
    ],
    [
      'an input with 4 channels',
      () => broken(toy, (j) => void (layers(j)[0].config.batch_input_shape = [null, 56, 48, 4])),
      /input has 4 channels; only 1 \(grayscale\) or 3 \(RGB\)/,
    ],
    ['a model with no convolutional layer', () => denseOnly(), /no convolutional layer with a spatial output/],
    ['an empty layer list', () => broken(toy, (j) => void (layers(j).length = 0)), /the topology lists no layers/],
    [
      'a dilated convolution',
      () => broken(toy, (j) => void (layers(j)[1].config.dilation_rate = [2, 2])),
      /layer c1: dilated convolution is not supported/,
    ],
    [
      'a graph op the engine does not know',
      () => broken(graph(), (j) => void (j.modelTopology.node.find((n: any) => n.op === 'Relu6').op = 'Erfinv')),
      /op Erfinv is not supported/,
    ],
    [
      'a graph without an input placeholder',
      () => broken(graph(), (j) => void (j.modelTopology.node = j.modelTopology.node.filter((n: any) => n.op !== 'Placeholder'))),
      /no Placeholder input|unknown node images/,
    ],
    [
      'a graph constant missing from the weights',
      () => broken(graph(), (j) => void (j.modelTopology.node.find((n: any) => n.op === 'Const').name = 'renamed_const')),
      /input \S+ is neither a node of the graph nor a weight/,
    ],
    ['a graph with no nodes', () => broken(graph(), (j) => void (j.modelTopology.node = [])), /the graph has no nodes/],
  ];

  function denseOnly(): string {
    const dir = mkdtempSync(join(tmpdir(), 'fs-dense-'));
    const w = tf.tensor2d(
      Array.from({ length: 8 * 8 * 3 * 2 }, (_, i) => i / 100),
      [192, 2],
    );
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(w.dataSync().buffer));
    w.dispose();
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({
        modelTopology: {
          model_config: {
            class_name: 'Sequential',
            config: [
              { class_name: 'Flatten', config: { name: 'flat', batch_input_shape: [null, 8, 8, 3] } },
              { class_name: 'Dense', config: { name: 'fc', units: 2, activation: 'softmax', use_bias: false } },
            ],
          },
        },
        weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'fc/kernel', shape: [192, 2], dtype: 'float32' }] }],
      }),
    );
    return dir;
  }

  it(`covers ${cases.length} kinds of broken package`, () => expect(cases.length).toBeGreaterThanOrEqual(20));

  for (const [name, make, pattern] of cases) {
    it(`rejects ${name}`, async () => {
      const dir = make();
      const working = await model(SMALL);
      const before = tf.memory().numTensors;
      await expect(load(dir, [-1, 1])).rejects.toThrow(pattern);
      expect(tf.memory().numTensors, 'tensors left behind by a failed load').toBe(before);
      const out = tf.tidy(
        () => working.forward(tf.fill([1, 32, 32, 3], 0.5) as tf.Tensor4D, ['conv_pw_2_bn']).get('conv_pw_2_bn')!.shape,
      );
      expect(out).toEqual([1, 8, 8, 32]);
    });
  }
});
