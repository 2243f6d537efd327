/**
 * DigitNet (tests/fixtures/digitnet, built by scripts/digitnet/) is a trained network of an architecture that appears
 * nowhere else in the project: grayscale 28 px input, a residual block of separable convolutions, an inception-like
 * concatenation, squeeze-and-excitation gating (Dense → sigmoid → Reshape → Multiply), swish, ELU and ReLU6. It comes
 * as a person would bring it: model.json + weights.bin, input range [0, 1].
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureModel } from '../../src/lib/engine/model.ts';
import { evaluate, imageFromRgba } from '../../src/lib/engine/render.ts';
import { fileReader, loadLayersReference } from '../../src/lib/node/files.ts';
import { REPO_ROOT } from '../../src/lib/node/model-cache.ts';
import { model, photos, SMALL } from './helpers.ts';
import { loadDigits } from './mnist-digits.ts';
import { runCli } from './run-cli.ts';

const DIR = join(REPO_ROOT, 'tests', 'fixtures', 'digitnet');

describe('DigitNet, a trained network of an architecture the project has never seen', () => {
  let m: FeatureModel;
  /** The 2,004 held-out digits as RGB in [0,1] (gray repeated), which the model's preprocessing turns back to gray. */
  let digits: tf.Tensor4D;
  let labels: Int32Array;
  beforeAll(async () => {
    await model(SMALL); // the wasm backend
    const { read, entry } = fileReader(join(DIR, 'model.json'));
    m = await FeatureModel.load(read, { id: 'digitnet', inputRange: [0, 1] }, entry);
    const held = loadDigits('held-out');
    digits = tf.tile(held.images, [1, 1, 1, 3]) as tf.Tensor4D;
    held.images.dispose();
    labels = held.labels;
  });
  afterAll(() => {
    digits.dispose();
    m.dispose();
  });

  it('loads on the fast path, matches tfjs-layers layer by layer, and reads held-out digits', async () => {
    expect(m.inputShape).toEqual([28, 28, 1]);
    expect(m.fixedInputSize).toBe(false);
    expect(m.layers.filter((l) => l.kind.endsWith('(generic)'))).toEqual([]);
    expect(m.layer('se_gate')).toMatchObject({ kind: 'Multiply', shape: [14, 14, 56], stride: 2 });
    expect(m.layer('mix_cat').kind).toBe('Concatenate');
    expect(m.layer('top_bn')).toMatchObject({ shape: [7, 7, 48], stride: 4 });

    // The reference: the same package loaded by tfjs-layers itself.
    const ref = await loadLayersReference(DIR);
    const some = digits.slice([0], [64]) as tf.Tensor4D;
    for (const l of ['res_add', 'mix_cat', 'se_gate', 'top_relu6', 'digit_probs']) {
      const cut = tf.model({ inputs: ref.inputs, outputs: ref.getLayer(l).output as tf.SymbolicTensor });
      const rel = tf.tidy(() => {
        const e = cut.predict(some.slice([0, 0, 0, 0], [-1, -1, -1, 1])) as tf.Tensor;
        const o = m.forward(some, [l]).get(l)!;
        return tf.max(tf.abs(tf.sub(e, o))).dataSync()[0] / tf.max(tf.abs(e)).dataSync()[0];
      });
      expect(rel, l).toBeLessThan(1e-4);
    }
    some.dispose();
    ref.dispose();

    const predicted = tf.tidy(() =>
      Array.from(m.forward(digits, ['digit_probs']).get('digit_probs')!.reshape([-1, 10]).argMax(1).dataSync()),
    );
    const accuracy = predicted.filter((p, i) => p === labels[i]).length / labels.length;
    expect(accuracy).toBeGreaterThan(0.97);
  });

  it('the CLI renders its channels to twice the best photo, and most of them to twice the best held-out digit', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fs-digitnet-'));
    const ph = await photos(28);
    const report: string[] = [];
    for (const layer of ['mix_bn', 'top_bn']) {
      const r = runCli('render', [
        '--model',
        join(DIR, 'model.json'),
        '--input-range',
        '0,1',
        '--layer',
        layer,
        '--channels',
        '0-7',
        '--size',
        '28',
        '--steps',
        '256',
        '--out',
        out,
      ]);
      expect(r.status, r.stderr).toBe(0);
      // Each channel's objective (its mean over space) on every photo and digit, from one forward pass per set.
      const means = (images: tf.Tensor4D) =>
        tf.tidy(() => m.forward(images, [layer]).get(layer)!.mean([1, 2]).transpose().arraySync() as number[][]);
      const photoMeans = means(ph);
      const digitMeans = means(digits);
      let live = 0;
      let overPhotos = 0;
      let overDigits = 0;
      for (let c = 0; c < 8; c++) {
        // The PNG a person gets, decoded: what is judged is the image, not the optimizer's float state.
        const png = decode(readFileSync(join(out, `${layer}-${c}.png`)));
        expect([png.width, png.height]).toEqual([28, 28]);
        const img = imageFromRgba(png.data as Uint8Array, 28, 28);
        // Gray in, gray out: a grayscale network's render carries no colour the network cannot see.
        const rgb = png.data as Uint8Array;
        for (let i = 0; i < rgb.length; i += 4) expect(rgb[i] === rgb[i + 1] && rgb[i] === rgb[i + 2]).toBe(true);
        const vis = evaluate(m, img, 'channel', layer, [c])[0];
        const onPhotos = photoMeans[c];
        const onDigits = digitMeans[c];
        img.dispose();
        const all = [vis, ...onPhotos, ...onDigits];
        if (Math.max(...all) - Math.min(...all) < 1e-6) {
          report.push(`${layer}:${c} dead`);
          continue; // a unit that no input moves (its ReLU never opens) cannot be activated by any image
        }
        live++;
        const bestPhoto = Math.max(...onPhotos);
        const bestDigit = Math.max(...onDigits);
        // Twice a negative best is no bar: the image must also give the channel a positive mean.
        if (vis > 0 && vis >= 2 * bestPhoto) overPhotos++;
        if (vis > 0 && vis >= 2 * bestDigit) overDigits++;
        report.push(`${layer}:${c} ${vis.toFixed(2)} (photo ${bestPhoto.toFixed(2)}, digit ${bestDigit.toFixed(2)})`);
      }
      const why = report.filter((l) => l.startsWith(layer)).join('; ');
      expect(live, why).toBeGreaterThanOrEqual(7);
      // Measured: every live channel of top_bn; all but mix_bn:6, whose ReLU the optimizer never opens (the digits
      // reach 0.45 there).
      expect(overPhotos, why).toBeGreaterThanOrEqual(live - 1);
      // The digits are this network's own inputs and a much harder bar: a majority of the channels clears it.
      expect(overDigits, why).toBeGreaterThan(live / 2);
    }
    ph.dispose();
  });
});
