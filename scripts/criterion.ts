/**
 * `npm run criterion -- [--model id|model.json] [--input-range 0,1] [--layers a,b] [--channels 0-7] [--steps 256]
 *   [--size 128] [--lr 0.05] [--lr-end x] [--digits]`
 * The activation criterion of issue 2, measured: for each channel, the mean activation of its rendered image
 * (decoded from its RGBA bytes, at its own size, no transforms) against the best of the sample photos
 * (../shared/images, centre-cropped to the same size), and what it keeps under random 7/8 crops and a mirror image.
 * `--digits` also compares with the best of the 2,004 held-out MNIST digits (for DigitNet, whose own inputs they are).
 * A channel that gives the same value on every photo, digit and render is dead (it never varies) and is not counted.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/lib/node/backend.ts';
import { parseChannels } from '../src/lib/engine/channels.ts';
import { evaluate, imageFromRgba, render } from '../src/lib/engine/render.ts';
import { centreCrop, readImage } from '../src/lib/node/files.ts';
import { loadModel } from '../src/lib/node/load-model.ts';
import { REPO_ROOT } from '../src/lib/node/model-cache.ts';
import { loadDigits } from '../tests/unit/mnist-digits.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'mobilenet_v1_0.75_224' },
    layers: { type: 'string', default: 'conv_pw_3_bn,conv_pw_7_bn,conv_pw_11_bn' },
    channels: { type: 'string', default: '0-7' },
    steps: { type: 'string', default: '256' },
    lr: { type: 'string', default: '0.05' },
    'lr-end': { type: 'string' },
    size: { type: 'string', default: '128' },
    'input-range': { type: 'string' },
    digits: { type: 'boolean', default: false },
  },
});
await useBackend();
const m = await loadModel(values.model!, values['input-range']?.split(',').map(Number) as [number, number] | undefined);
const size = Number(values.size);
const digits = values.digits
  ? tf.tidy(() => {
      const d = loadDigits('held-out');
      return tf.tile(tf.image.resizeBilinear(d.images, [size, size]), [1, 1, 1, 3]) as tf.Tensor4D;
    })
  : null;
const bestOf = (images: tf.Tensor4D, layer: string, c: number) =>
  evaluate(m, images, 'channel', layer, Array(images.shape[0]).fill(c));
const chans = parseChannels(values.channels!);
const photos = tf.concat(
  await Promise.all(
    ['cat', 'airplane', 'portrait'].map(async (p) =>
      centreCrop(await readImage(join(REPO_ROOT, '..', 'shared', 'images', `${p}.jpg`)), size),
    ),
  ),
) as tf.Tensor4D;
const side = Math.round((size * 7) / 8);
let total = 0;
let twice = 0;
let cropsKept = 0;
let flipsKept = 0;
let twiceDigit = 0;
let dead = 0;
/** The smallest image / best-photo ratio over channels whose best photo is positive. */
let worstRatio = Infinity;
for (const layer of values.layers!.split(',')) {
  const lrEnd = values['lr-end'] == null ? null : Number(values['lr-end']);
  const r = await render(
    m,
    { layer, steps: Number(values.steps), size, lr: Number(values.lr), lrEnd },
    chans.map((index) => ({ index })),
  );
  console.log(`${layer} (${r.seconds.toFixed(0)} s)`);
  chans.forEach((c, i) => {
    const img = imageFromRgba(r.final.images[i], size, size);
    const vis = evaluate(m, img, 'channel', layer, [c])[0];
    const photoValues = bestOf(photos, layer, c);
    const best = Math.max(...photoValues);
    const digitValues = digits ? bestOf(digits, layer, c) : [];
    const bestDigit = Math.max(...digitValues);
    const all = [vis, ...photoValues, ...digitValues];
    if (Math.max(...all) - Math.min(...all) < 1e-6) {
      dead++;
      img.dispose();
      console.log(`  ch ${String(c).padStart(3)}: dead (${vis.toFixed(2)} on every image)`);
      return;
    }
    const crops = tf.tidy(() =>
      tf.concat(
        [0, 1, 2, 3].map((k) => img.slice([0, (k * 5) % (size - side + 1), (k * 11) % (size - side + 1), 0], [1, side, side, 3])),
      ),
    ) as tf.Tensor4D;
    const cropMin = Math.min(...evaluate(m, crops, 'channel', layer, [c, c, c, c])) / vis;
    const flipped = tf.reverse(img, 2) as tf.Tensor4D;
    const flip = evaluate(m, flipped, 'channel', layer, [c])[0] / vis;
    tf.dispose([img, crops, flipped]);
    // Twice a negative best is no bar at all: the image must also activate the channel (a positive mean).
    const ok2 = vis > 0 && vis >= 2 * best;
    if (best > 0) worstRatio = Math.min(worstRatio, vis / best);
    const digitNote = digits ? `  best digit ${bestDigit.toFixed(2).padStart(6)} (${(vis / bestDigit).toFixed(2)}×)` : '';
    twiceDigit += vis > 0 && vis >= 2 * bestDigit ? 1 : 0;
    total++;
    twice += ok2 ? 1 : 0;
    cropsKept += cropMin >= 0.5 ? 1 : 0;
    flipsKept += flip >= 0.5 ? 1 : 0;
    console.log(
      `  ch ${String(c).padStart(3)}: image ${vis.toFixed(2).padStart(6)}  best photo ${best.toFixed(2).padStart(6)}  ${ok2 ? '≥2×' : ' <2×'}${digitNote}  worst crop ${cropMin.toFixed(2)}  mirror ${flip.toFixed(2)}`,
    );
  });
}
console.log(
  `${values.model}: ${twice}/${total} reach 2× the best photo` +
    (digits ? `, ${twiceDigit}/${total} 2× the best held-out digit` : '') +
    `; crops keep half in ${cropsKept}/${total}; the mirror image keeps half in ${flipsKept}/${total}` +
    (dead ? `; ${dead} dead channel(s) not counted` : '') +
    `; smallest image / best photo ${worstRatio.toFixed(2)}× (steps ${values.steps}, lr ${values.lr}${values['lr-end'] ? ` → ${values['lr-end']}` : ''})`,
);
