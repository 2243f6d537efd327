import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FeatureModel } from '../src/lib/engine/model.ts';
import { evaluate, render } from '../src/lib/engine/render.ts';
import { fileReader } from '../src/lib/node/files.ts';
import { useBackend } from '../src/lib/engine/backend.ts';
import { loadDigits } from '../tests/unit/mnist-digits.ts';
import { photos } from '../tests/unit/helpers.ts';
await useBackend(['wasm']);
const { read, entry } = fileReader(join('tests/fixtures/digitnet/model.json'));
const m = await FeatureModel.load(read, { id: 'digitnet', inputRange: [0, 1] }, entry);
console.log('fixed', m.fixedInputSize, m.layers.map((l) => `${l.name}:${l.kind}:${l.shape}`).join(' '));
const held = loadDigits('held-out');
const rgb = tf.tile(held.images, [1, 1, 1, 3]) as tf.Tensor4D;
const size = Number(process.argv[2] ?? 28);
const tr = process.argv[3] !== 'no';
const ph = await photos(size);
const layers = (process.argv[4] ?? 'res_out,mix_cat,se_gate,top_relu6').split(',');
for (const layer of layers) {
  const chans = [0, 1, 2, 3, 4, 5];
  const t0 = Date.now();
  const r = await render(m, { layer, steps: 256, size, transforms: tr }, chans.map((index) => ({ index })));
  const out = chans.map((c, i) => {
    const d = Math.max(...evaluate(m, rgb, 'channel', layer, Array(rgb.shape[0]).fill(c)));
    const p = Math.max(...evaluate(m, ph, 'channel', layer, [c, c, c]));
    return `${c}: vis ${r.cleanValues[i].toFixed(2)} digit ${d.toFixed(2)} (${(r.cleanValues[i] / d).toFixed(2)}x) photo ${p.toFixed(2)} (${(r.cleanValues[i] / p).toFixed(2)}x)`;
  });
  console.log(layer, `${((Date.now() - t0) / 1000).toFixed(1)} s`, '\n  ' + out.join('\n  '));
}
