import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { readPngMeta } from '../../src/lib/export/png.ts';
import { modelDir } from '../../src/lib/node/model-cache.ts';
import { decode } from 'fast-png';

const cli = (...args: string[]) => runCli('render', args);

describe('render CLI', () => {
  it('writes one PNG per channel with its settings chunk, and a manifest', () => {
    const out = mkdtempSync(join(tmpdir(), 'fs-cli-'));
    const r = cli(
      '--model',
      'mobilenet_v1_0.25_224',
      '--layer',
      'conv_pw_4_bn',
      '--channels',
      '2,5-6',
      '--steps',
      '12',
      '--size',
      '40',
      '--batch',
      '2',
      '--out',
      out,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/step 12\/12/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.images.map((i: { channel: number }) => i.channel)).toEqual([2, 5, 6]);
    for (const c of [2, 5, 6]) {
      const png = readFileSync(join(out, `conv_pw_4_bn-${c}.png`));
      const img = decode(png);
      expect([img.width, img.height]).toEqual([40, 40]);
      const meta = readPngMeta(png) as { model: string; layer: string; channel: number; settings: { steps: number } };
      // One schema with the studio's (src/lib/export/image-meta.ts).
      expect(meta).toMatchObject({
        format: 'featurescope-image/1',
        model: 'mobilenet_v1_0.25_224',
        layer: 'conv_pw_4_bn',
        channel: c,
        step: 12,
      });
      expect(meta.settings.steps).toBe(12);
      const entry = manifest.images.find((i: { channel: number }) => i.channel === c);
      expect(typeof entry.value).toBe('number');
      expect(entry.seconds).toBeGreaterThan(0);
    }
  });

  it('renders several channels on two engines (one per core) to the same pixels as on one', () => {
    const run = (engines: string) => {
      const out = mkdtempSync(join(tmpdir(), 'fs-cli-e-'));
      const args = ['--model', 'mobilenet_v1_0.25_224', '--layer', 'conv_pw_4_bn', '--channels', '3-6', '--steps', '16'];
      const r = cli(...args, '--size', '48', '--seed', '5', '--engines', engines, '--out', out);
      expect(r.status, r.stderr).toBe(0);
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      expect(manifest.images.map((i: { channel: number }) => i.channel)).toEqual([3, 4, 5, 6]);
      const pixels = [3, 4, 5, 6].map((c) => Buffer.from(decode(readFileSync(join(out, `conv_pw_4_bn-${c}.png`))).data));
      expect(manifest.engines).toBe(Number(engines));
      expect(manifest.seconds).toBeGreaterThan(0);
      return { stderr: r.stderr, pixels, values: manifest.images.map((i: { value: number }) => i.value) };
    };
    const two = run('2');
    const one = run('1');
    expect(two.stderr).toMatch(/batch 2 on each of 2 engines/);
    expect(two.stderr).toMatch(/\[batch 2\/2\] step 16\/16/);
    expect(one.stderr).not.toMatch(/engines/);
    for (let k = 0; k < 4; k++) expect(two.pixels[k].equals(one.pixels[k]), `channel ${k + 3}`).toBe(true);
    expect(two.values).toEqual(one.values);
    // And the images are images, not blanks: the channels' renders differ.
    expect(two.pixels[0].equals(two.pixels[1])).toBe(false);
  });

  it('renders variants of each channel together (whole groups per batch), pushed apart by --diversity', () => {
    const run = (diversity: string) => {
      const out = mkdtempSync(join(tmpdir(), 'fs-cli-v-'));
      const args = ['--model', 'mobilenet_v1_0.25_224', '--layer', 'conv_pw_4_bn', '--channels', '4,5', '--steps', '12'];
      const r = cli(...args, '--size', '40', '--variants', '2', '--diversity', diversity, '--batch', '3', '--out', out);
      expect(r.status, r.stderr).toBe(0);
      // A batch of 3 holds one group of 2: two batches, never a variant without the other.
      expect(r.stderr).toMatch(/batch 2( on each of 2 engines)? \(2 variants each, diversity \d+\)/);
      expect(r.stderr.match(/\[batch 1\/2\] step 12\/12 objective \S+ \S+\n/)).not.toBeNull();
      return out;
    };
    const [pushed, free] = [run('300'), run('0')];
    const pixels = (dir: string, file: string) => decode(readFileSync(join(dir, file))).data as Uint8Array;
    const manifest = JSON.parse(readFileSync(join(pushed, 'manifest.json'), 'utf8'));
    expect(manifest.images.map((i: { file: string }) => i.file)).toEqual([
      'conv_pw_4_bn-4-v0.png',
      'conv_pw_4_bn-4-v1.png',
      'conv_pw_4_bn-5-v0.png',
      'conv_pw_4_bn-5-v1.png',
    ]);
    const meta = readPngMeta(readFileSync(join(pushed, 'conv_pw_4_bn-5-v1.png'))) as {
      channel: number;
      variant: number;
      settings: { variants: number; diversity: number };
    };
    expect(meta).toMatchObject({ channel: 5, variant: 1, settings: { variants: 2, diversity: 300 } });
    // The weight reached the optimization: the same variant differs from its diversity-0 twin.
    const [a, b] = [pixels(pushed, 'conv_pw_4_bn-4-v1.png'), pixels(free, 'conv_pw_4_bn-4-v1.png')];
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff += Math.abs(a[i] - b[i]);
    expect(diff / a.length).toBeGreaterThan(1);
  });

  const failures: [string, string[], RegExp][] = [
    [
      'unknown model',
      ['--model', 'resnet_9000', '--layer', 'x', '--out', '/tmp/x'],
      /unknown model "resnet_9000".*mobilenet_v1_0.75_224/,
    ],
    [
      'unknown layer',
      ['--model', 'mobilenet_v1_0.25_224', '--layer', 'conv_pw_42', '--out', '/tmp/x'],
      /unknown layer "conv_pw_42".*valid layers include/,
    ],
    [
      'channel out of range',
      ['--model', 'mobilenet_v1_0.25_224', '--layer', 'conv_pw_3_bn', '--channels', '5,40', '--out', '/tmp/x'],
      /40 is out of range.*32 channels \(0-31\)/,
    ],
    [
      'bad channel list',
      ['--model', 'mobilenet_v1_0.25_224', '--layer', 'conv_pw_3_bn', '--channels', 'a-b', '--out', '/tmp/x'],
      /"a-b" is not a number or a range/,
    ],
    [
      'bad objective',
      ['--layer', 'conv_pw_3_bn', '--objective', 'joy', '--out', '/tmp/x'],
      /--objective: "joy" is not one of channel, neuron, layer, logit/,
    ],
    ['missing --out', ['--layer', 'conv_pw_3_bn'], /--out <dir> is required/],
    [
      'a diversity weight without variants',
      ['--layer', 'conv_pw_3_bn', '--diversity', '100', '--out', '/tmp/x'],
      /--diversity acts among variants of one channel: give --variants 2 or more/,
    ],
    [
      'variants of a DeepDream image',
      ['--layer', 'conv_pw_3_bn', '--objective', 'layer', '--variants', '2', '--out', '/tmp/x'],
      /--variants: with --objective layer, --channels already names the variants/,
    ],
    [
      'too many variants',
      ['--layer', 'conv_pw_3_bn', '--variants', '9', '--out', '/tmp/x'],
      /--variants: "9" is not an integer in 1-8/,
    ],
    [
      'unknown backend',
      ['--layer', 'conv_pw_3_bn', '--backend', 'gpu', '--out', '/tmp/x'],
      /--backend: "gpu" is not one of wasm, cpu/,
    ],
  ];
  for (const [name, args, pattern] of failures) {
    it(`fails clearly on ${name}`, () => {
      const r = cli(...args);
      expect(r.status).not.toBe(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    });
  }

  it('fails clearly on an unreadable model.json and on a short weight file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-bad-'));
    writeFileSync(join(dir, 'model.json'), '{"modelTopology": {"node": [');
    let r = cli('--model', join(dir, 'model.json'), '--layer', 'x', '--out', join(dir, 'out'));
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/^featurescope: error: model.json: not valid JSON/);

    const short = join(dir, 'short');
    mkdirSync(short);
    const src = modelDir('mobilenet_v1_0.25_224_tfhub_graph');
    copyFileSync(join(src, 'model.json'), join(short, 'model.json'));
    writeFileSync(join(short, 'group1-shard1of1'), readFileSync(join(src, 'group1-shard1of1')).subarray(0, 1000));
    r = cli('--model', join(short, 'model.json'), '--layer', 'x', '--out', join(dir, 'out'));
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/weight file group1-shard1of1: 1000 bytes, but the manifest needs 1875348 bytes/);
  });
});

describe('render CLI with a model brought as files', () => {
  it('renders a grayscale model of an unfamiliar architecture from its model.json path and input range', async () => {
    const { saveToyModel } = await import('./toy-model.ts');
    const { useBackend } = await import('../../src/lib/node/backend.ts');
    await useBackend(['wasm']);
    const dir = mkdtempSync(join(tmpdir(), 'fs-toy-cli-'));
    (await saveToyModel(dir)).dispose();
    const out = join(dir, 'out');
    const r = cli(
      '--model',
      join(dir, 'model.json'),
      '--input-range',
      '0,1',
      '--layer',
      'crop3',
      '--channels',
      '0-1',
      '--steps',
      '16',
      '--size',
      '48',
      '--out',
      out,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/crop3 \[12x10x28\] channel ×2/);
    const meta = readPngMeta(readFileSync(join(out, 'crop3-1.png'))) as { layer: string; settings: { size: number } };
    expect(meta.layer).toBe('crop3');
    const bad = cli('--model', join(dir, 'model.json'), '--input-range', '1,0', '--layer', 'crop3', '--out', out);
    expect(bad.stderr.trim()).toMatch(/--input-range: "1,0" is not min,max/);
  });
});

describe('render CLI with a trained network in an unfamiliar package', () => {
  it('renders channels of a grayscale, Sequential, 160 px re-build of MobileNet to at least twice the best photo', async () => {
    const { saveRemixModel } = await import('./remix-model.ts');
    const { model, photos, SMALL } = await import('./helpers.ts');
    const { evaluate } = await import('../../src/lib/engine/render.ts');
    const { FeatureModel } = await import('../../src/lib/engine/model.ts');
    const { fileReader } = await import('../../src/lib/node/files.ts');
    await model(SMALL);
    const dir = mkdtempSync(join(tmpdir(), 'fs-remix-'));
    await saveRemixModel(modelDir(SMALL), dir);
    const out = join(dir, 'out');
    const layer = 'block11_pw/preact';
    const r = cli(
      '--model',
      join(dir, 'model.json'),
      '--input-range',
      '-1,1',
      '--layer',
      layer,
      '--channels',
      '0-3',
      '--steps',
      '256',
      '--out',
      out,
    );
    expect(r.status, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    // The photos, through the same package (grayscale, its own preprocessing), at the render size.
    const { read, entry } = fileReader(join(dir, 'model.json'));
    const m = await FeatureModel.load(read, { id: dir, inputRange: [-1, 1] }, entry);
    const ph = await photos(128);
    for (const img of manifest.images as { channel: number; value: number }[]) {
      const c = img.channel;
      const best = Math.max(...evaluate(m, ph, 'channel', layer, [c, c, c]));
      expect(img.value, `channel ${c} vs best photo ${best.toFixed(2)}`).toBeGreaterThanOrEqual(2 * Math.max(best, 0));
      expect(img.value).toBeGreaterThan(0);
    }
    ph.dispose();
    m.dispose();
  });
});

describe('render CLI on hostile or unusual packages (issue 9)', () => {
  let toy: string;
  beforeAll(async () => {
    const { saveToyModel } = await import('./toy-model.ts');
    const { useBackend } = await import('../../src/lib/node/backend.ts');
    await useBackend(['wasm']);
    toy = mkdtempSync(join(tmpdir(), 'fs-toy-hostile-'));
    (await saveToyModel(toy)).dispose();
  });
  /** A copy of the toy package in `dir` with its model.json text changed by `edit`. */
  const copy = (dir: string, edit: (json: string) => string) => {
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(toy, 'weights.bin'), join(dir, 'weights.bin'));
    writeFileSync(join(dir, 'model.json'), edit(readFileSync(join(toy, 'model.json'), 'utf8')));
    return join(dir, 'model.json');
  };

  it('a model folder and layer named in Cyrillic and CJK render, with the names in the PNG chunk', () => {
    const root = mkdtempSync(join(tmpdir(), 'fs-names-'));
    const path = copy(join(root, 'модель-模型'), (j) => j.replace(/\bc1\b/g, 'свёртка_层1'));
    const out = join(root, 'out');
    const r = cli(
      '--model',
      path,
      '--input-range',
      '0,1',
      '--layer',
      'свёртка_层1',
      '--channels',
      '0',
      '--steps',
      '4',
      '--size',
      '32',
      '--out',
      out,
    );
    expect(r.status, r.stderr).toBe(0);
    const meta = readPngMeta(readFileSync(join(out, 'свёртка_层1-0.png'))) as { model: string; layer: string };
    expect(meta.layer).toBe('свёртка_层1');
    expect(meta.model).toMatch(/модель-模型/);
  });

  it('refuses a weight path outside the folder, and a declared 4500×4500 input, in one clear line', () => {
    const root = mkdtempSync(join(tmpdir(), 'fs-hostile-'));
    const escape = copy(join(root, 'escape'), (j) => j.replace('"paths":["weights.bin"]', '"paths":["../../../etc/passwd"]'));
    let r = cli('--model', escape, '--layer', 'c1', '--out', join(root, 'out'));
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/^featurescope: error: weight path "..\/..\/..\/etc\/passwd" leaves the model's folder/);
    const huge = copy(join(root, 'huge'), (j) => j.replace('[null,56,48,1]', '[null,4500,4500,1]'));
    r = cli('--model', huge, '--layer', 'c1', '--out', join(root, 'out'));
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/input is 4500×4500×1; .* GB per image\), more than the 512 MB/);
  });
});
