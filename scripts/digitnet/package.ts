/**
 * Turns the weights written by scripts/digitnet/train.py into a TensorFlow.js layers package (model.json +
 * weights.bin), the way a person would bring it to featurescope, after checking in tfjs that the network still
 * classifies the held-out digits as well as it did in PyTorch.
 *
 * Usage: npx tsx scripts/digitnet/package.ts WEIGHTS.json [OUT_DIR]   (default tests/fixtures/digitnet)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadDigits } from '../../tests/unit/mnist-digits.ts';
import { saveLayersPackage } from '../../tests/unit/layers-package.ts';
import { REPO_ROOT } from '../../src/lib/node/model-cache.ts';
import { buildDigitNet } from './architecture.ts';

interface Trained {
  heldOutAccuracy: number;
  weights: Record<string, { shape: number[]; values: number[] }>;
}

async function main(): Promise<void> {
  const [src, outDir = join(REPO_ROOT, 'tests', 'fixtures', 'digitnet')] = process.argv.slice(2);
  if (!src) throw new Error('usage: package.ts WEIGHTS.json [OUT_DIR]');
  await tf.setBackend('cpu');
  const trained = JSON.parse(readFileSync(src, 'utf8')) as Trained;
  const net = buildDigitNet(1);
  const unused = new Set(Object.keys(trained.weights));
  for (const v of net.weights) {
    const w = trained.weights[v.originalName];
    if (!w) throw new Error(`no trained value for ${v.originalName}`);
    if (w.shape.join() !== v.shape.join()) throw new Error(`${v.originalName}: shape ${w.shape} but the model has ${v.shape}`);
    v.write(tf.tensor(w.values, w.shape));
    unused.delete(v.originalName);
  }
  if (unused.size) throw new Error(`trained weights the model does not have: ${[...unused].join(', ')}`);

  const held = loadDigits('held-out');
  const pred = Array.from(tf.tidy(() => (net.predict(held.images) as tf.Tensor).argMax(1).dataSync()));
  const acc = pred.filter((p, i) => p === held.labels[i]).length / held.labels.length;
  console.log(
    `held-out accuracy in tfjs ${acc.toFixed(4)} (PyTorch ${trained.heldOutAccuracy.toFixed(4)}), ${held.labels.length} digits`,
  );
  if (Math.abs(acc - trained.heldOutAccuracy) > 0.002) throw new Error('the tfjs network does not match the trained one');
  await saveLayersPackage(net, outDir);
  console.log(`wrote ${outDir}/model.json and weights.bin`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
