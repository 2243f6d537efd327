/**
 * Adversarial examples (issue 11): the engine's FGSM/PGD on MobileNet v1 α0.25 and `npm run adversarial`, whose PNG,
 * read back from disk, must stay within ε of the original and flip the top class at ε = 4.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { attack, classify } from '../../src/lib/engine/adversarial.ts';
import type { FeatureModel } from '../../src/lib/engine/model.ts';
import { centreCrop, readImage } from '../../src/lib/node/files.ts';
import { model, PHOTOS, SMALL } from './helpers.ts';
import { saveLayersPackage } from './layers-package.ts';
import { runCli } from './run-cli.ts';

const cli = (...args: string[]) => runCli('adversarial', args);

async function view(m: FeatureModel, photo: string): Promise<tf.Tensor4D> {
  const img = await readImage(photo);
  const v = centreCrop(img, m.inputShape[0]);
  img.dispose();
  return v;
}

describe('the attack in the engine', () => {
  it('changes the top class of every sample photo within ε = 4, and leaves no tensors behind', async () => {
    const m = await model(SMALL);
    // The first backward pass builds the model's gradient kernels once (kept with the model, not per attack).
    const warm = await view(m, PHOTOS[0]);
    await attack(m, warm, { epsilon: 4, steps: 1, target: null });
    warm.dispose();
    for (const photo of PHOTOS) {
      const v = await view(m, photo);
      const before = tf.memory().numTensors;
      const r = await attack(m, v, { epsilon: 4, steps: 10, target: null });
      expect(tf.memory().numTensors).toBe(before);
      expect(r.success).toBe(true);
      expect(r.after[0].index).not.toBe(r.before[0].index);
      expect(r.linf).toBeLessThanOrEqual(4);
      expect(r.linf).toBeGreaterThan(0);
      v.dispose();
    }
  });

  it('reaches a chosen class (targeted), and FGSM takes exactly one step of ε', async () => {
    const m = await model(SMALL);
    const v = await view(m, PHOTOS[0]);
    const targeted = await attack(m, v, { epsilon: 8, steps: 40, target: 407 });
    expect(targeted.success).toBe(true);
    expect(targeted.after[0]).toMatchObject({ index: 407, label: 'ambulance' });
    const fgsm = await attack(m, v, { epsilon: 4, steps: 1, target: null });
    expect(fgsm.method).toBe('fgsm');
    expect(fgsm.steps).toBe(1);
    expect(fgsm.linf).toBe(4); // a sign step moves (nearly) every value by the whole ε
    await expect(attack(m, v, { epsilon: 300, steps: 1, target: null })).rejects.toThrow(/outside 0–255/);
    await expect(attack(m, v, { epsilon: 4, steps: 1, target: 5000 })).rejects.toThrow(/target class 5000/);
    v.dispose();
  });
});

describe('npm run adversarial', () => {
  it('writes the pair and result.json; the PNG read back from disk is within ε and flips the top class', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fs-adv-'));
    const r = cli('--model', SMALL, '--photo', PHOTOS[1], '--epsilon', '4', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result).toMatchObject({ epsilon: 4, success: true, method: 'pgd' });
    expect(result.before).toHaveLength(5);
    expect(result.after[0]).toHaveProperty('label');
    const orig = decode(readFileSync(join(out, 'original.png')));
    const adv = decode(readFileSync(join(out, 'adversarial.png')));
    expect([orig.width, orig.height, orig.channels, adv.width, adv.channels]).toEqual([224, 224, 3, 224, 3]);
    let linf = 0;
    for (let i = 0; i < orig.data.length; i++) linf = Math.max(linf, Math.abs(Number(adv.data[i]) - Number(orig.data[i])));
    expect(linf).toBeLessThanOrEqual(4);
    expect(linf).toBe(result.linf);
    // The files as the network sees them: the original's top class is the one reported, the adversarial's is not.
    const m = await model(SMALL);
    const asTensor = (png: typeof orig) =>
      tf.tidy(() => tf.div(tf.tensor4d(Float32Array.from(png.data as Uint8Array), [1, 224, 224, 3]), 255)) as tf.Tensor4D;
    const [o, a] = [asTensor(orig), asTensor(adv)];
    expect((await classify(m, o, 1))[0].index).toBe(result.before[0].index);
    expect((await classify(m, a, 1))[0].index).toBe(result.after[0].index);
    expect(result.after[0].index).not.toBe(result.before[0].index);
    o.dispose();
    a.dispose();
  });

  it('gives clear errors: a non-image photo, a bad ε, a model with no class scores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-adv-bad-'));
    const notImage = join(dir, 'notes.jpg');
    writeFileSync(notImage, 'these are words, not pixels');
    let r = cli('--model', SMALL, '--photo', notImage, '--epsilon', '4', '--out', dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--photo: .*not a PNG or JPEG image/);
    for (const eps of ['-1', '300', 'four']) {
      r = cli('--model', SMALL, '--photo', PHOTOS[0], '--epsilon', eps, '--out', dir);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--epsilon: .* is not a number in 0-255/);
    }
    // A conv-only network: features, no classifier.
    await model(SMALL); // the backend, for building it
    const input = tf.input({ shape: [32, 32, 3] });
    const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c1' }).apply(input) as tf.SymbolicTensor;
    const c2 = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c2' }).apply(c1) as tf.SymbolicTensor;
    const pkg = join(dir, 'features');
    await saveLayersPackage(tf.model({ inputs: input, outputs: c2 }), pkg);
    r = cli('--model', join(pkg, 'model.json'), '--photo', PHOTOS[0], '--epsilon', '4', '--out', dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no class scores/);
  });
});
