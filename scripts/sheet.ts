/**
 * `npm run sheet -- --layers conv_pw_3_bn,conv_pw_7_bn --channels 0-7 --out docs/sheet.png [--model id|model.json]
 *   [--input-range 0,1] [--steps 256] [--size 128] [--zoom 1]`
 * Renders the same channels of several layers and writes one contact sheet: a row per layer, input side on top.
 * `--zoom n` enlarges each tile n times (nearest neighbour), for small renders of small networks.
 */
import { writeFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { parseArgs } from 'node:util';
import { useBackend } from '../src/lib/node/backend.ts';
import { render } from '../src/lib/engine/render.ts';
import { contactSheet, type Tile } from '../src/lib/export/contact-sheet.ts';
import { encodePng } from '../src/lib/export/png.ts';
import { loadModel } from '../src/lib/node/load-model.ts';
import { parseChannels } from '../src/lib/engine/channels.ts';
import { DEFAULT_MODEL_ID } from '../src/lib/models/registry.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: DEFAULT_MODEL_ID },
    layers: { type: 'string' },
    channels: { type: 'string', default: '0-7' },
    steps: { type: 'string', default: '256' },
    size: { type: 'string', default: '128' },
    out: { type: 'string', default: 'docs/contact-sheet.jpg' },
    'input-range': { type: 'string' },
    zoom: { type: 'string', default: '1' },
  },
});
const range = values['input-range']?.split(',').map(Number) as [number, number] | undefined;
const zoom = Math.max(1, Math.round(Number(values.zoom)));

function enlarge(rgba: Uint8Array, w: number, h: number): Uint8Array {
  if (zoom === 1) return rgba;
  const out = new Uint8Array(w * h * zoom * zoom * 4);
  for (let y = 0; y < h * zoom; y++)
    for (let x = 0; x < w * zoom; x++)
      out.set(
        rgba.subarray((((y / zoom) | 0) * w + ((x / zoom) | 0)) * 4, (((y / zoom) | 0) * w + ((x / zoom) | 0)) * 4 + 4),
        (y * w * zoom + x) * 4,
      );
  return out;
}
await useBackend();
const model = await loadModel(values.model!, range);
const layers = (
  values.layers ?? 'conv_pw_1_bn,conv_pw_3_bn,conv_pw_5_bn,conv_pw_7_bn,conv_pw_9_bn,conv_pw_11_bn,conv_pw_13_bn'
).split(',');
const channels = parseChannels(values.channels!);
const tiles: Tile[] = [];
for (const layer of layers) {
  const t0 = Date.now();
  const r = await render(
    model,
    { layer, steps: Number(values.steps), size: Number(values.size) },
    channels.map((index) => ({ index })),
  );
  process.stderr.write(
    `${layer}: ${((Date.now() - t0) / 1000).toFixed(1)} s, objective ${r.cleanValues.map((v) => v.toFixed(1)).join(' ')}\n`,
  );
  const { width: w, height: h } = r.final;
  r.final.images.forEach((rgba, i) =>
    tiles.push({ rgba: enlarge(rgba, w, h), width: w * zoom, height: h * zoom, label: `${channels[i]}` }),
  );
}
const sheet = contactSheet(tiles, channels.length);
// JPEG keeps a docs sheet small (noisy textures compress poorly as PNG); .png writes a lossless sheet with settings.
const bytes = values.out!.endsWith('.jpg')
  ? jpeg.encode({ data: sheet.rgba, width: sheet.width, height: sheet.height }, 88).data
  : encodePng(sheet.rgba, sheet.width, sheet.height, { model: model.info.id, layers, channels, steps: Number(values.steps) });
await writeFile(values.out!, bytes);
process.stderr.write(`wrote ${values.out}\n`);
