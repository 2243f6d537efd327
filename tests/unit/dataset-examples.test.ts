/**
 * Dataset examples on inputs whose answer is known: a one-filter network that sums a 3×3 window of the red channel
 * (centre weighted twice) finds a single bright pixel at the unit centred on it; that unit's receptive field maps back
 * to the photo's own pixels through the centre crop; photos sort by value; a photo set gives every channel its
 * examples from one pass per batch; and the real MobileNet ranks the sample photos consistently with its channels.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { layerStats, topChannels, topExamples, unitBox, type PhotoStats } from '../../src/lib/engine/dataset-examples.ts';
import { croppedSource, ExampleIndex, indexPhotos } from '../../src/lib/engine/example-index.ts';
import { FeatureModel } from '../../src/lib/engine/model.ts';
import { cropPng, fileReader, readImage, type Pixels } from '../../src/lib/node/files.ts';
import { model as registryModel, PHOTOS, SMALL } from './helpers.ts';
import { saveLayersPackage } from './layers-package.ts';

/** 32×32 RGB → one 3×3 stride-2 'same' conv over red (centre 2, ring 1), no activation: 16×16×1. */
async function spotNet(): Promise<FeatureModel> {
  const input = tf.input({ shape: [32, 32, 3], name: 'image' });
  const conv = tf.layers.conv2d({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'spot' });
  const net = tf.model({ inputs: input, outputs: conv.apply(input) as tf.SymbolicTensor });
  const k = new Float32Array(27);
  for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) k[(y * 3 + x) * 3] = y === 1 && x === 1 ? 2 : 1;
  conv.setWeights([tf.tensor4d(k, [3, 3, 3, 1])]);
  const dir = mkdtempSync(join(tmpdir(), 'spotnet-'));
  await saveLayersPackage(net, dir);
  net.dispose();
  const { read, entry } = fileReader(join(dir, 'model.json'));
  return FeatureModel.load(read, { id: 'spotnet', inputRange: [0, 1] }, entry);
}

/** An 83×63 photo (centre square 63 px, 10 px cut each side: 2 photo pixels per network pixel), black but one red pixel. */
function spotPhoto(row: number, col: number): tf.Tensor3D {
  const px = new Float32Array(63 * 83 * 3);
  px[(row * 83 + col) * 3] = 1;
  return tf.tensor3d(px, [63, 83, 3]);
}

describe('dataset examples', () => {
  let net: FeatureModel;
  beforeAll(async () => {
    await registryModel(SMALL); // sets the wasm backend up
    net = await spotNet();
  });

  it('finds the unit centred on a bright pixel and boxes its receptive field in the photo', async () => {
    const layer = net.layer('spot');
    expect(layer.grid).toEqual({ start: [1, 1], jump: [2, 2] });
    expect(layer.receptiveField).toBe(3);
    // Photo pixel (42, 28) is crop pixel (42, 18), network pixel (21, 9): the centre of unit (10, 4).
    const src = croppedSource('spot', async () => spotPhoto(42, 28));
    const got = await src.load(32, 32);
    expect([got.width, got.height]).toEqual([83, 63]);
    const [s] = (await layerStats(net, got.view, ['spot'])).get('spot')!;
    got.view.dispose();
    expect(s.max[0]).toBeCloseTo(2, 5);
    expect(s.argmax[0]).toBe(10 * 16 + 4);
    // Network pixels 20–22 are crop pixels 40–44, each 2 px wide: 39.5–45.5 → 40–46 (rows); columns +10 px.
    const box = unitBox(layer, s.argmax[0], net.inputShape, { width: 83, height: 63 });
    expect(box).toEqual({ x: 26, y: 40, width: 6, height: 6 });
    expect(box.x <= 28 && 28 < box.x + box.width && box.y <= 42 && 42 < box.y + box.height).toBe(true);
  });

  it('clips a box to the photo and gives a one-unit layer the whole crop', () => {
    const layer = net.layer('spot');
    expect(unitBox(layer, 0, net.inputShape, { width: 83, height: 63 })).toEqual({ x: 10, y: 0, width: 6, height: 6 });
    const last = unitBox(layer, 16 * 16 - 1, net.inputShape, { width: 83, height: 63 });
    expect(last.x + last.width).toBe(76); // past the crop's edge (padding), inside the photo
    expect(last.y + last.height).toBe(63);
    const pooled = { shape: [1, 1, 8] as [number, number, number], receptiveField: 400 };
    expect(unitBox(pooled, 0, [32, 32], { width: 83, height: 63 })).toEqual({ x: 10, y: 0, width: 63, height: 63 });
  });

  it('sorts examples by value, highest first, equal values in photo order', () => {
    const st = (v: number[]): PhotoStats => ({
      max: Float32Array.from(v),
      argmax: Int32Array.from(v.map((_, i) => i)),
      mean: Float32Array.from(v),
    });
    const photos: [string, PhotoStats][] = [
      ['a', st([1, 5])],
      ['b', st([3, 5])],
      ['c', st([2, 9])],
      ['d', st([3, 0])],
    ];
    expect(topExamples(photos, 0, 3).map((e) => [e.photo, e.value])).toEqual([
      ['b', 3],
      ['d', 3],
      ['c', 2],
    ]);
    expect(topExamples(photos, 1, 9).map((e) => e.photo)).toEqual(['c', 'a', 'b', 'd']);
    expect(topChannels(st([0.5, 4, -1, 4]), 'max', 3)).toEqual([
      { channel: 1, value: 4 },
      { channel: 3, value: 4 },
      { channel: 0, value: 0.5 },
    ]);
  });

  it('indexes a photo set batch by batch, skips what it cannot read, and ranks the photos per channel', async () => {
    const spots: [string, number, number, number][] = [
      ['dim', 42, 28, 0.2],
      ['bright', 10, 60, 1],
      ['mid', 30, 40, 0.6],
    ];
    const sources = [
      ...spots.map(([id, r, c, v]) => croppedSource(id, async () => tf.tidy(() => tf.mul(spotPhoto(r, c), v) as tf.Tensor3D))),
      croppedSource('broken.txt', () => Promise.reject(new Error('not a PNG or JPEG image'))),
    ];
    const index = new ExampleIndex(net);
    const seen: number[] = [];
    const before = tf.memory().numTensors;
    const run = await indexPhotos(net, index, sources, ['spot'], { batch: 2, progress: (p) => seen.push(p.done) });
    expect(tf.memory().numTensors).toBe(before);
    expect(seen).toEqual([2, 4]);
    expect(run.skipped).toEqual([{ photo: 'broken.txt', reason: 'not a PNG or JPEG image' }]);
    const ex = index.examples('spot', 0, 2);
    expect(ex.map((e) => e.photo)).toEqual(['bright', 'mid']);
    expect(ex[0].value).toBeCloseTo(2, 4);
    // The bright pixel (10, 60) lies in its box.
    expect(ex[0].x <= 60 && 60 < ex[0].x + ex[0].width && ex[0].y <= 10 && 10 < ex[0].y + ex[0].height).toBe(true);
    expect(index.best('spot', 0, 'max')).toEqual({ photo: 'bright', value: ex[0].value });
    index.remove(['bright']);
    expect(index.examples('spot', 0, 1)[0].photo).toBe('mid');
    expect(index.missing(['spot'], ['dim', 'bright'])).toEqual(['bright']);
  });

  it('on MobileNet, a channel’s top photo is the one whose maximum is highest, boxed inside the photo', async () => {
    const m = await registryModel(SMALL);
    const index = new ExampleIndex(m);
    const sources = PHOTOS.map((p) => croppedSource(p.split('/').pop()!, () => readImage(p)));
    await indexPhotos(m, index, sources, ['conv_pw_6_bn', 'conv_pw_13_bn'], { batch: 3 });
    for (const layer of ['conv_pw_6_bn', 'conv_pw_13_bn']) {
      const { view } = await sources[0].load(224, 224);
      const [cat] = (await layerStats(m, view, [layer])).get(layer)!;
      view.dispose();
      for (const ch of [0, 5, 17]) {
        const ex = index.examples(layer, ch, 3);
        expect(ex).toHaveLength(3);
        expect(ex[0].value).toBeGreaterThanOrEqual(ex[1].value);
        expect(ex[1].value).toBeGreaterThanOrEqual(ex[2].value);
        const catEx = ex.find((e) => e.photo === 'cat.jpg')!;
        expect(catEx.value).toBeCloseTo(cat.max[ch], 4);
        expect(catEx.x + catEx.width).toBeLessThanOrEqual(227);
        expect(catEx.y + catEx.height).toBeLessThanOrEqual(227);
      }
    }
  });
});

describe("an example's crop", () => {
  // A 5×4 photo whose pixel (x, y) is (x, y, x + 10·y): every byte says where it came from.
  const photo: Pixels = { width: 5, height: 4, rgb: new Uint8Array(5 * 4 * 3) };
  for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) photo.rgb.set([x, y, x + 10 * y], (y * 5 + x) * 3);

  it('is a PNG of exactly the box, and a box outside the photo is refused', () => {
    const png = decode(cropPng(photo, { x: 1, y: 2, width: 3, height: 2 }));
    expect([png.width, png.height, png.channels]).toEqual([3, 2, 3]);
    expect(Array.from(png.data as Uint8Array)).toEqual([1, 2, 21, 2, 2, 22, 3, 2, 23, 1, 3, 31, 2, 3, 32, 3, 3, 33]);
    for (const box of [
      { x: 3, y: 0, width: 3, height: 1 },
      { x: 0, y: 3, width: 1, height: 2 },
      { x: -1, y: 0, width: 2, height: 2 },
      { x: 0, y: 0, width: 0, height: 2 },
    ])
      expect(() => cropPng(photo, box), JSON.stringify(box)).toThrow(/not inside the 5×4 photo/);
  });
});
