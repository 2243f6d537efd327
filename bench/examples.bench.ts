/**
 * `npm run bench:examples`: how fast a photo folder becomes dataset examples, in photos per second.
 *  - a folder of 200 JPEGs (crops of the three sample photos at several sizes, 240–960 px, made once in a temp folder);
 *  - the CLI (`src/cli/examples.ts`, all 384 channels of conv_pw_6_bn of MobileNet v1 α0.75, batch 8): its own
 *    photos/s line (decoding included, model loading not), median of 3 runs;
 *  - where the CLI's time goes, in this process: decoding + centre crop (readImage) against the forward passes with the
 *    per-channel statistics, for the same photos;
 *  - the studio's worker in Debian's Chromium: adding the 200 files to the photo set (decode, hash, thumbnail,
 *    IndexedDB), then summarizing them for conv_pw_6_bn (decode + forward passes), median of 3 page loads.
 * Every channel of the layer comes from the same forward pass per batch of photos. Needs a build (`vite build`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import { layerStats } from '../src/lib/engine/dataset-examples.ts';
import { useBackend } from '../src/lib/node/backend.ts';
import { centreCrop, readImage } from '../src/lib/node/files.ts';
import { loadModel } from '../src/lib/node/load-model.ts';
import { median } from './stats.ts';
import { openStudioBrowser } from './studio-browser.ts';

const N = Number(process.env.PHOTOS ?? 200);
const LAYER = 'conv_pw_6_bn';
const MODEL = 'mobilenet_v1_0.75_224';
const SHARED = join(process.cwd(), '..', 'shared', 'images');

/** N JPEGs: crops of the sample photos, scaled by nearest neighbour to sides between 240 and 960 px. */
function makeFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fs-bench-photos-'));
  const photos = ['cat', 'airplane', 'portrait'].map((p) =>
    jpeg.decode(readFileSync(join(SHARED, `${p}.jpg`)), { useTArray: true }),
  );
  for (let i = 0; i < N; i++) {
    const src = photos[i % 3];
    const w = 240 + ((i * 37) % 721);
    const h = Math.round(w * (0.6 + ((i * 13) % 50) / 100));
    const cw = Math.floor(src.width * (0.5 + ((i * 7) % 50) / 100));
    const ch = Math.min(src.height, Math.round((cw * h) / w));
    const x0 = (i * 17) % Math.max(1, src.width - cw);
    const y0 = (i * 29) % Math.max(1, src.height - ch);
    const data = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const sx = x0 + Math.floor((x * cw) / w);
        const sy = y0 + Math.floor((y * ch) / h);
        data.set(src.data.subarray((sy * src.width + sx) * 4, (sy * src.width + sx) * 4 + 4), (y * w + x) * 4);
      }
    writeFileSync(join(dir, `photo-${String(i).padStart(3, '0')}.jpg`), jpeg.encode({ data, width: w, height: h }, 85).data);
  }
  return dir;
}

const dir = makeFolder();
const files = readdirSync(dir).map((f) => join(dir, f));
console.log(`${files.length} photos in ${dir}`);

// The CLI, as a person runs it.
const cli: number[] = [];
for (let r = 0; r < 3; r++) {
  const out = join(dir, '..', `fs-bench-out-${r}`);
  mkdirSync(out, { recursive: true });
  const p = spawnSync(
    join('node_modules', '.bin', 'tsx'),
    [
      'src/cli/examples.ts',
      '--model',
      MODEL,
      '--layer',
      LAYER,
      '--channels',
      '0-383',
      '--photos',
      dir,
      '--out',
      out,
      '--top',
      '9',
    ],
    { encoding: 'utf8' },
  );
  const m = p.stderr.match(/([\d.]+) photos\/s/);
  if (p.status !== 0 || !m) throw new Error(`examples CLI failed: ${p.stderr}`);
  cli.push(Number(m[1]));
}
console.log(`CLI (wasm in Node): ${median(cli).toFixed(1)} photos/s median (runs: ${cli.map((x) => x.toFixed(1)).join(', ')})`);

// Where the CLI's time goes: decoding against the forward passes.
{
  await useBackend();
  const m = await loadModel(MODEL);
  let t = performance.now();
  const views: tf.Tensor4D[] = [];
  for (const f of files) {
    const img = await readImage(f);
    views.push(centreCrop(img, 224));
    img.dispose();
  }
  const decode = (performance.now() - t) / 1000;
  t = performance.now();
  for (let i = 0; i < views.length; i += 8) {
    const b = tf.concat(views.slice(i, i + 8)) as tf.Tensor4D;
    await layerStats(m, b, [LAYER]);
    b.dispose();
  }
  const forward = (performance.now() - t) / 1000;
  views.forEach((v) => v.dispose());
  m.dispose();
  console.log(
    `CLI split (Node, one run): decode + crop ${(files.length / decode).toFixed(1)} photos/s (${decode.toFixed(1)} s), ` +
      `forward passes + statistics ${(files.length / forward).toFixed(1)} photos/s (${forward.toFixed(1)} s)`,
  );
}

// The studio's worker.
const { browser, close } = await openStudioBrowser(4176);
try {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await ctx.newPage();
  const url = `http://127.0.0.1:4176/?model=${MODEL}&auto=0&hooks`;
  await page.goto(url);
  await page.locator(`section.band[data-layer="${LAYER}"]`).waitFor({ timeout: 120_000 });
  const backend = (await page.getByTestId('backend').innerText()).split('\n')[0];
  await page.getByRole('button', { name: 'your photos' }).click();
  const panel = page.getByLabel('your photos');
  await panel
    .getByRole('button', { name: /^explain / })
    .first()
    .waitFor();
  const t0 = Date.now();
  await panel.getByLabel('add photos').setInputFiles(files);
  await panel
    .getByRole('button', { name: /^explain / })
    .nth(files.length + 2)
    .waitFor({ timeout: 600_000 });
  const adding = files.length / ((Date.now() - t0) / 1000);
  console.log(`worker, adding to the set (${backend}): ${adding.toFixed(1)} photos/s (decode, hash, thumbnail, IndexedDB)`);
  const index: number[] = [];
  for (let r = 0; r < 3; r++) {
    if (r) await page.reload();
    await page.locator(`section.band[data-layer="${LAYER}"]`).waitFor({ timeout: 120_000 });
    const seconds = await page.evaluate(async (layer) => {
      const s = (window as unknown as { __featurescope: { photos: { fetch(l: string, c: number[]): Promise<unknown> } } })
        .__featurescope;
      const t = performance.now();
      await s.photos.fetch(layer, [0]);
      return (performance.now() - t) / 1000;
    }, LAYER);
    index.push((files.length + 3) / seconds);
  }
  console.log(
    `worker, summarizing ${files.length + 3} photos for ${LAYER} (${backend}): ${median(index).toFixed(1)} photos/s median (runs: ${index.map((x) => x.toFixed(1)).join(', ')})`,
  );
} finally {
  await close();
}
