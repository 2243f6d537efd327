/**
 * `npm run examples`: examples.json in its documented schema, sorted, with values equal to the engine's own maximum on
 * the centre-cropped photo; crops that are the photo's pixels inside each box; a non-image named and skipped; clear
 * errors for an empty folder, a folder without a readable image, an unknown layer and a channel out of range.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { runCli } from './run-cli.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { layerStats } from '../../src/lib/engine/dataset-examples.ts';
import { centreCrop, readImage } from '../../src/lib/node/files.ts';
import { model, PHOTOS, SMALL } from './helpers.ts';

const cli = (...args: string[]) => runCli('examples', args);

/** A photo as readImage gives it, read out once: its shape and its values in [0,1]. */
const valuesOf = new Map<string, { shape: number[]; values: Float32Array }>();
async function photoValues(path: string): Promise<{ shape: number[]; values: Float32Array }> {
  if (!valuesOf.has(path)) {
    const t = await readImage(path);
    valuesOf.set(path, { shape: t.shape, values: t.dataSync() as Float32Array });
    t.dispose();
  }
  return valuesOf.get(path)!;
}

interface Result {
  model: string;
  layer: string;
  inputSize: number[];
  channels: {
    channel: number;
    examples: { photo: string; value: number; x: number; y: number; width: number; height: number }[];
  }[];
}

describe('npm run examples', () => {
  let photos: string;
  beforeAll(() => {
    photos = mkdtempSync(join(tmpdir(), 'fs-photos-'));
    for (const p of PHOTOS) copyFileSync(p, join(photos, p.split('/').pop()!));
    writeFileSync(join(photos, 'notes.txt'), 'not a photo');
  });

  it('writes examples.json and the crops, highest value first, and names the file it skipped', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fs-examples-'));
    const base = ['--model', SMALL, '--layer', 'conv_pw_5_bn', '--photos', photos, '--out', out];
    const r = cli(...base, '--channels', '3,17,40-41', '--top', '2', '--batch', '2');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/skipped notes\.txt/);
    expect(r.stderr).toMatch(/3 photo\(s\) in [\d.]+ s \([\d.]+ photos\/s/);
    const res = JSON.parse(readFileSync(join(out, 'examples.json'), 'utf8')) as Result;
    expect(res).toMatchObject({ model: SMALL, layer: 'conv_pw_5_bn', inputSize: [224, 224] });
    expect(res.channels.map((c) => c.channel)).toEqual([3, 17, 40, 41]);

    const m = await model(SMALL);
    const maxOf = new Map<string, Float32Array>();
    for (const p of PHOTOS) {
      const img = await readImage(p);
      const view = centreCrop(img, 224);
      maxOf.set(p.split('/').pop()!, (await layerStats(m, view, ['conv_pw_5_bn'])).get('conv_pw_5_bn')![0].max);
      view.dispose();
      img.dispose();
    }
    for (const c of res.channels) {
      expect(c.examples).toHaveLength(2);
      expect(c.examples[0].value).toBeGreaterThanOrEqual(c.examples[1].value);
      const all = [...maxOf.entries()].sort((a, b) => b[1][c.channel] - a[1][c.channel]);
      expect(c.examples.map((e) => e.photo)).toEqual(all.slice(0, 2).map(([name]) => name));
      for (const [rank, e] of c.examples.entries()) {
        expect(e.value).toBeCloseTo(maxOf.get(e.photo)![c.channel], 3);
        const crop = decode(readFileSync(join(out, `conv_pw_5_bn-${c.channel}-${rank + 1}.png`)));
        expect([crop.width, crop.height]).toEqual([e.width, e.height]);
        // The crop is the photo's own pixels in the box (the photo as the engine reads it, in [0,1]).
        const { shape, values } = await photoValues(join(photos, e.photo));
        expect(e.x + e.width).toBeLessThanOrEqual(shape[1]);
        expect(e.y + e.height).toBeLessThanOrEqual(shape[0]);
        const got = crop.data as Uint8Array;
        let worst = 0;
        for (let r = 0; r < e.height; r++)
          for (let i = 0; i < e.width * 3; i++) {
            const want = Math.round(values[((e.y + r) * shape[1] + e.x) * 3 + i] * 255);
            worst = Math.max(worst, Math.abs(got[r * e.width * 3 + i] - want));
          }
        expect(worst).toBeLessThanOrEqual(1);
      }
    }
  });

  it('says clearly what is wrong: empty folder, no image, unknown layer, channel out of range', () => {
    const empty = mkdtempSync(join(tmpdir(), 'fs-empty-'));
    const out = join(empty, 'out');
    let r = cli('--model', SMALL, '--layer', 'conv_pw_5_bn', '--channels', '1', '--photos', empty, '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--photos: .* has no files/);
    const junk = join(empty, 'junk');
    mkdirSync(junk);
    writeFileSync(join(junk, 'a.txt'), 'text');
    r = cli('--model', SMALL, '--layer', 'conv_pw_5_bn', '--channels', '1', '--photos', junk, '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no readable image in .*junk \(1 file/);
    r = cli('--model', SMALL, '--layer', 'conv_pw_99', '--channels', '1', '--photos', photos, '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown layer "conv_pw_99"/);
    r = cli('--model', SMALL, '--layer', 'conv_pw_5_bn', '--channels', '3,500', '--photos', photos, '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/channel 500 is out of range for conv_pw_5_bn \(0-63\)/);
  });
});
