/**
 * Feature inversion: an image optimized until its activations at a layer match a photo's looks like that photo — the
 * shallower the layer, the closer — and nothing is left behind in memory, cancelled or not.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { readPngMeta } from '../../src/lib/export/png.ts';
import { invertPhoto } from '../../src/lib/engine/inversion.ts';
import { RenderCancelled } from '../../src/lib/engine/render-vis.ts';
import { model, photos, PHOTOS, SMALL } from './helpers.ts';
import { runCli } from './run-cli.ts';

const SIZE = 64;

/** Pearson correlation of an RGBA image with an RGB one in [0,1], over every colour value. */
function correlation(rgba: Uint8Array, rgb: Float32Array): number {
  let sx = 0,
    sy = 0,
    sxx = 0,
    syy = 0,
    sxy = 0,
    n = 0;
  for (let p = 0; p < rgb.length / 3; p++)
    for (let c = 0; c < 3; c++) {
      const x = rgba[p * 4 + c] / 255;
      const y = rgb[p * 3 + c];
      sx += x;
      sy += y;
      sxx += x * x;
      syy += y * y;
      sxy += x * y;
      n++;
    }
  const cov = sxy / n - (sx / n) * (sy / n);
  return cov / Math.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2));
}

describe('feature inversion', () => {
  it("reconstructs the photo from a shallow layer's activations, and a deep layer less closely", async () => {
    const m = await model(SMALL);
    const batch = await photos(SIZE);
    const [cat, airplane] = [0, 1].map((i) => batch.slice([i], [1]) as tf.Tensor4D);
    const [catPixels, airplanePixels] = await Promise.all([
      cat.data() as Promise<Float32Array>,
      airplane.data() as Promise<Float32Array>,
    ]);
    const before = tf.memory().numTensors;
    const snaps: number[] = [];
    const r = await invertPhoto(
      m,
      cat,
      ['conv_pw_1_bn', 'conv_pw_9_bn'],
      { size: SIZE, steps: 64 },
      { onSnapshot: (s) => snaps.push(s.step) },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(snaps).toEqual([16, 32, 48, 64]);
    const [shallow, deep] = r.final.images;
    const shallowCat = correlation(shallow, catPixels);
    // Like the cat, and not merely like any photo.
    expect(shallowCat).toBeGreaterThan(0.6);
    expect(shallowCat - correlation(shallow, airplanePixels)).toBeGreaterThan(0.3);
    expect(correlation(deep, catPixels)).toBeLessThan(shallowCat);
    // The likeness grew from the first step to the last.
    expect(r.curve.at(-1)!.values[0]).toBeGreaterThan(r.curve[0].values[0]);
    expect(r.cleanValues.every(Number.isFinite)).toBe(true);
    for (const t of [batch, cat, airplane]) t.dispose();
  });

  it('stops on a cancel, and refuses an unknown layer by name, leaving nothing behind', async () => {
    const m = await model(SMALL);
    const batch = await photos(SIZE);
    const cat = batch.slice([0], [1]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const stop = new AbortController();
    const run = invertPhoto(
      m,
      cat,
      ['conv_pw_3_bn'],
      { size: SIZE, steps: 500 },
      {
        signal: stop.signal,
        onSnapshot: (s) => s.step >= 16 && stop.abort(),
      },
    );
    await expect(run).rejects.toBeInstanceOf(RenderCancelled);
    await expect(invertPhoto(m, cat, ['conv_pw_99_bn'])).rejects.toThrow(/unknown layer "conv_pw_99_bn"/);
    // Not a photo (four planes) is refused by name; a grey one is taken.
    const fourPlanes = tf.zeros([1, SIZE, SIZE, 4]) as tf.Tensor4D;
    await expect(invertPhoto(m, fourPlanes, ['conv_pw_3_bn'], { size: SIZE })).rejects.toThrow(/1 or 3 planes/);
    const grey = tf.mean(cat, 3, true) as tf.Tensor4D;
    const r = await invertPhoto(m, grey, ['conv_pw_3_bn'], { size: SIZE, steps: 2 });
    expect(r.final.images).toHaveLength(1);
    fourPlanes.dispose();
    grey.dispose();
    expect(tf.memory().numTensors).toBe(before);
    batch.dispose();
    cat.dispose();
  });
});

describe('npm run invert', () => {
  it('writes the photo, one PNG per layer with its settings, and a manifest; the first layer gives the photo back', () => {
    const out = mkdtempSync(join(tmpdir(), 'fs-invert-'));
    const r = runCli('invert', ['--model', SMALL, '--photo', PHOTOS[0], '--size', '64', '--steps', '48', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    // The studio's default layers: four over the depth.
    expect(manifest.layers.map((l: { layer: string }) => l.layer)).toEqual([
      'conv_pw_1_bn',
      'conv_pw_3_bn',
      'conv_pw_6_bn',
      'conv_pw_11_bn',
    ]);
    expect(manifest).toMatchObject({ model: SMALL, settings: { size: 64, steps: 48, seed: 0 } });
    const photo = decode(readFileSync(join(out, 'photo.png')));
    const first = decode(readFileSync(join(out, manifest.layers[0].file)));
    expect([photo.width, photo.channels, first.width, first.height]).toEqual([64, 3, 64, 64]);
    const rgb = Float32Array.from(photo.data as Uint8Array, (v) => v / 255);
    expect(correlation(first.data as Uint8Array, rgb)).toBeGreaterThan(0.6);
    expect(readPngMeta(readFileSync(join(out, manifest.layers[0].file)))).toMatchObject({
      format: 'featurescope-inversion/1',
      layer: 'conv_pw_1_bn',
      settings: { size: 64, steps: 48 },
    });
  });

  it('names what is wrong: an unknown layer, a bad size, a photo that is not an image', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-invert-bad-'));
    let r = runCli('invert', ['--model', SMALL, '--photo', PHOTOS[0], '--layers', 'conv_pw_1_bn,conv_pw_99', '--out', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown layer "conv_pw_99"/);
    r = runCli('invert', ['--photo', PHOTOS[0], '--size', '4', '--out', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--size: "4" is not an integer in 16-512/);
    const notImage = join(dir, 'notes.jpg');
    writeFileSync(notImage, 'words, not pixels');
    r = runCli('invert', ['--model', SMALL, '--photo', notImage, '--out', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--photo: .*not a PNG or JPEG image/);
  });
});
