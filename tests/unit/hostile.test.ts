// Hostile and unusual input (issue 9): bounded settings and links, bounded and confined reads, names outside
// Latin-1, model files picked from a folder, damaged cache records.
import 'fake-indexeddb/auto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/lib/engine/render.ts';
import { encodePng, readPngMeta } from '../../src/lib/export/png.ts';
import { DEFAULT_JOB_SETTINGS, type Job } from '../../src/lib/protocol.ts';
import { checkJobSettings, settingsFromParams } from '../../src/lib/settings.ts';
import { restoreCards } from '../../src/lib/studio/cache-sync.ts';
import { framesOf, withSnapshots } from '../../src/lib/studio/cards.ts';
import { RenderCache } from '../../src/lib/store/cache.ts';
import { schedulerOn } from './scheduler-harness.ts';
import { pickModelJson, rememberReads, splitModelUrl, urlReader } from '../../workers/sources.ts';
import { cacheRecord } from './cache-record.ts';
import { model, SMALL } from './helpers.ts';

describe('settings from links and messages are bounded before anything is allocated', () => {
  it('refuses steps=2e11 and size=1e9 from a link with a message, keeping the defaults', () => {
    const { settings, refused } = settingsFromParams(
      new URLSearchParams('steps=2e11&size=1000000000&seed=3'),
      DEFAULT_JOB_SETTINGS,
    );
    expect(settings).toEqual({ ...DEFAULT_JOB_SETTINGS, seed: 3 });
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatch(/steps=2e11 ignored: steps must be a whole number from 1 to 4096/);
    expect(refused[1]).toMatch(/size=1000000000 ignored: size must be a whole number from 8 to 512/);
  });

  it('refuses fractional, negative and non-numeric values, and unknown objectives', () => {
    const base = DEFAULT_JOB_SETTINGS;
    expect(() => checkJobSettings({ ...base, steps: 1.5 })).toThrow(/steps must be a whole number/);
    expect(() => checkJobSettings({ ...base, seed: -1 })).toThrow(/seed must be a whole number from 0/);
    expect(() => checkJobSettings({ ...base, size: NaN })).toThrow(/size must be/);
    expect(() => checkJobSettings({ ...base, objective: 'joy' as never })).toThrow(/objective must be one of/);
    expect(checkJobSettings(base)).toEqual(base);
  });

  it('a job with steps=2e11 fails at once in the scheduler, with no tensor allocated and nothing left running', async () => {
    const m = await model(SMALL);
    const { scheduler, log: posted } = schedulerOn(m, SMALL);
    const before = tf.memory().numTensors;
    const job: Job = {
      id: 'huge',
      modelId: SMALL,
      layer: 'conv_pw_3_bn',
      channel: 0,
      variant: 0,
      priority: 1,
      settings: { ...DEFAULT_JOB_SETTINGS, steps: 2e11 },
    };
    scheduler.enqueue([job]);
    expect(posted.find((p) => p.type === 'job-failed')).toMatchObject({
      id: 'huge',
      message: expect.stringMatching(/steps must be/),
    });
    expect(scheduler.queue.size).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an error that merely mentions "webgl" and "context" fails the job; only the GPU’s own lost state switches backends (item 15)', async () => {
    const m = await model(SMALL);
    let gpuFailures = 0;
    const { scheduler, log: posted } = schedulerOn(m, SMALL, { backend: 'webgl', gpuFailed: async () => (gpuFailures++, true) });
    const settings = { ...DEFAULT_JOB_SETTINGS, steps: 2, size: 32 };
    scheduler.enqueue([{ id: 'j', modelId: SMALL, layer: 'webgl_context_layer', channel: 0, variant: 0, priority: 1, settings }]);
    await expect
      .poll(() => posted.find((p) => p.type === 'job-failed'))
      .toMatchObject({ message: expect.stringMatching(/unknown layer "webgl_context_layer"/) });
    expect(gpuFailures).toBe(0);
  });

  it('the engine itself refuses 2e11 steps without leaking', async () => {
    const m = await model(SMALL);
    const before = tf.memory().numTensors;
    await expect(render(m, { layer: 'conv_pw_3_bn', steps: 2e11, size: 32 }, [{ index: 0 }])).rejects.toThrow(
      /steps must be a whole number from 1 to 100000/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('names outside Latin-1', () => {
  it('a PNG settings chunk holds Cyrillic and CJK names and reads them back', () => {
    const meta = { model: 'модель-试验', layer: 'свёртка_1/层', channel: 3, note: 'naïve ✓ 🙂' };
    const png = encodePng(new Uint8Array(4 * 4 * 4).fill(200), 4, 4, meta);
    expect(readPngMeta(png)).toEqual(meta);
  });
});

describe('model URLs and their reads', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url!);
      if (req.url!.startsWith('/endless')) {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024);
        const pump = () => {
          while (res.write(chunk)) {
            /* until the client stops reading */
          }
        };
        res.on('drain', pump);
        req.on('close', () => res.destroy());
        pump();
      } else if (req.url!.startsWith('/big')) {
        res.writeHead(200, { 'content-length': String(10_000_000) });
        res.end(Buffer.alloc(10));
      } else res.end(Buffer.from('hello'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('a URL ending in "/" means model.json in that folder, on the same host (item 13)', () => {
    const { base: b, entry } = splitModelUrl('https://models.example.org/nets/mine/', 'http://localhost/');
    expect(entry).toBe('model.json');
    expect(b.href).toBe('https://models.example.org/nets/mine/');
    const plain = splitModelUrl('https://models.example.org/nets/mine/model.json?token=abc#x', 'http://localhost/');
    expect(plain.entry).toBe('model.json');
    expect(plain.base.href).toBe('https://models.example.org/nets/mine/?token=abc');
    expect(splitModelUrl('/models/a', 'http://localhost:4173/').base.href).toBe('http://localhost:4173/models/a/');
  });

  it('the query (a token) goes with every weight request', async () => {
    const { base: b } = splitModelUrl(`${base}/m/model.json?token=s3cret`, 'http://localhost/');
    const read = urlReader(b);
    await read('model.json');
    await read('group1-shard1of2.bin', 100);
    expect(seen.slice(-2)).toEqual(['/m/model.json?token=s3cret', '/m/group1-shard1of2.bin?token=s3cret']);
  });

  it('keeping a model reuses the bytes its load read: the server is asked once per file', async () => {
    const read = rememberReads(urlReader(new URL(`${base}/kept/`)));
    const before = seen.length;
    await read('model.json', 100);
    await read('model.json');
    expect(seen.length - before).toBe(1);
  });

  it('a package read ahead (while the backend starts) is not fetched again, and later limits still hold', async () => {
    const read = rememberReads(urlReader(new URL(`${base}/`)));
    const before = seen.length;
    // Both asks while the first is still in flight: one request.
    const [a, b] = await Promise.all([read('ok', 100), read('ok', 50)]);
    expect(new TextDecoder().decode(b)).toBe(new TextDecoder().decode(a));
    expect(seen.length - before).toBe(1);
    await expect(read('ok', 3)).rejects.toThrow(/5 bytes, more than 3/);
    // A refusal under one limit answers the same or a smaller limit without asking the server again.
    const n = seen.length;
    await expect(read('big', 1000)).rejects.toThrow(/more than 1000/);
    await expect(read('big', 100)).rejects.toThrow(/more than 1000/);
    await expect(read('big', 1000)).rejects.toThrow(/more than 1000/);
    expect(seen.length).toBe(n + 1);
  });

  it('reads stop at the declared size: an endless body and a too-long content-length are refused', async () => {
    const read = urlReader(new URL(`${base}/`));
    await expect(read('endless', 1_000_000)).rejects.toThrow(/more than 1000000 bytes/);
    await expect(read('big', 1000)).rejects.toThrow(/10000000 bytes, more than 1000/);
    expect(new TextDecoder().decode(await read('ok', 100))).toBe('hello');
  });
});

describe('choosing the model among dropped files (item 12)', () => {
  const file = (name: string, body: unknown) => new File([typeof body === 'string' ? body : JSON.stringify(body)], name);
  const model = { modelTopology: { config: {} }, weightsManifest: [] };

  it('a Teachable Machine export: model.json, not metadata.json', async () => {
    const f = await pickModelJson([
      file('metadata.json', { labels: ['a'] }),
      file('model.json', model),
      file('weights.bin', 'x'),
    ]);
    expect(f.name).toBe('model.json');
  });

  it('a differently named model file is found by its content; none or two are named in the error', async () => {
    expect((await pickModelJson([file('metadata.json', { labels: [] }), file('net.json', model)])).name).toBe('net.json');
    await expect(pickModelJson([file('metadata.json', { labels: [] })])).rejects.toThrow(
      /no model.json among the chosen files \(metadata.json\)/,
    );
    await expect(pickModelJson([file('a.json', model), file('b.json', model)])).rejects.toThrow(
      /several model files.*a.json, b.json/,
    );
  });
});

describe('restoring the render cache (item 17)', () => {
  it('skips a damaged record and restores the rest', async () => {
    const cache = await RenderCache.open('hostile-test');
    const png = encodePng(new Uint8Array(8 * 8 * 4).fill(128), 8, 8, { ok: true });
    const record = (key: string, bytes: Uint8Array) =>
      cacheRecord(key, { png: bytes, curve: [{ step: 16, value: 1 }], value: 2, seconds: 1 });
    await cache.put(record('good', png), [{ step: 16, png }]);
    await cache.put(record('bad', new Uint8Array([1, 2, 3, 4])), [{ step: 16, png }]);
    // A PNG cut short: its header reads, its pixels do not. Final images are decoded when first drawn, so this one
    // comes back, and draws blank rather than failing the page.
    await cache.put(record('cut', png.subarray(0, 40)), [{ step: 16, png }]);
    const { cards: all, skipped } = await restoreCards(cache, 'm');
    expect(skipped).toBe(1);
    expect(all.map((c) => c.key).sort()).toEqual(['cut', 'good']);
    const cut = all.find((c) => c.key === 'cut')!;
    expect([cut.frame!.width, cut.frame!.height]).toEqual([8, 8]);
    expect(cut.frame!.rgba).toEqual(new Uint8ClampedArray(8 * 8 * 4));
    const cards = all.filter((c) => c.key === 'good');
    expect(cards[0].frame!.rgba[0]).toBe(128);
    expect(cards[0].frame!.rgba).toBe(cards[0].frame!.rgba); // decoded once
    // Snapshots stay in the cache until someone looks: the final image alone until then.
    expect(cards[0].frames).toEqual([]);
    expect(cards[0].snapshotsInCache).toBe(true);
    expect(framesOf(cards[0]).map((f) => f.step)).toEqual([cards[0].settings.steps]);
    // Read, they are kept encoded and decoded on first use, each with its value from the curve.
    const read = { ...cards[0], ...withSnapshots(cards[0], await cache.snapshots('good')) };
    expect(read.storedSnapshots).toHaveLength(1);
    const frames = framesOf(read);
    expect(frames.map((f) => [f.step, f.width, f.value])).toEqual([[16, 8, 1]]);
    cache.close();
  });
});
