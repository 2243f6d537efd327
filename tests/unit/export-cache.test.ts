import 'fake-indexeddb/auto';
import { unzipSync, strFromU8 } from 'fflate';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { contactSheet } from '../../src/lib/export/contact-sheet.ts';
import { encodePng, readPngMeta } from '../../src/lib/export/png.ts';
import { layerZip } from '../../src/lib/export/zip.ts';
import { DEFAULT_JOB_SETTINGS } from '../../src/lib/protocol.ts';
import { QuotaError, RenderCache, type RenderRecord } from '../../src/lib/store/cache.ts';
import { cacheRecord } from './cache-record.ts';

const tile = (v: number, size = 8) => new Uint8Array(size * size * 4).fill(v);

describe('exports', () => {
  it('a PNG carries its settings in a text chunk', () => {
    const png = encodePng(tile(200), 8, 8, { model: 'm', layer: 'l', channel: 3 });
    const img = decode(png);
    expect([img.width, img.height, img.channels]).toEqual([8, 8, 4]);
    expect(readPngMeta(png)).toEqual({ model: 'm', layer: 'l', channel: 3 });
    expect(readPngMeta(encodePng(tile(1), 8, 8))).toBeNull();
  });

  it('a layer ZIP holds the PNGs and a manifest that lists them', () => {
    const entries = [1, 2].map((c) => ({
      name: `m-l-${c}.png`,
      png: encodePng(tile(c * 50), 8, 8, { channel: c }),
      meta: { channel: c },
    }));
    const files = unzipSync(layerZip(entries, { model: 'm', layer: 'l' }));
    expect(Object.keys(files).sort()).toEqual(['m-l-1.png', 'm-l-2.png', 'manifest.json']);
    const manifest = JSON.parse(strFromU8(files['manifest.json']));
    expect(manifest).toMatchObject({
      model: 'm',
      layer: 'l',
      images: [
        { file: 'm-l-1.png', channel: 1 },
        { file: 'm-l-2.png', channel: 2 },
      ],
    });
    expect(readPngMeta(files['m-l-2.png'])).toEqual({ channel: 2 });
  });

  it('a contact sheet lays tiles out in a grid with a label strip', () => {
    const sheet = contactSheet(
      [0, 1, 2].map((i) => ({ rgba: tile(250), width: 8, height: 8, label: String(i) })),
      2,
      4,
    );
    expect(sheet.width).toBe(2 * 8 + 3 * 4);
    expect(sheet.height).toBe(2 * (8 + 16) + 3 * 4);
    // The first tile's pixels are copied in place.
    expect(sheet.rgba[(4 * sheet.width + 4) * 4]).toBe(250);
  });
});

describe('render cache (IndexedDB)', () => {
  const record = (key: string, modelId = 'm'): RenderRecord => ({
    key,
    modelId,
    layer: 'l',
    channel: 1,
    variant: 0,
    settings: DEFAULT_JOB_SETTINGS,
    width: 8,
    height: 8,
    png: encodePng(tile(9), 8, 8),
    snapshots: [{ step: 32, png: encodePng(tile(5), 8, 8) }],
    curve: [{ step: 32, value: 1.5 }],
    value: 2,
    seconds: 1,
    backend: 'wasm',
    createdAt: 0,
  });

  it('stores, finds by model, survives reopening, and clears', async () => {
    const name = `t-${Math.random()}`;
    let cache = await RenderCache.open(name);
    await cache.put(record('a'));
    await cache.put(record('b'));
    await cache.put(record('c', 'other'));
    cache.close();
    cache = await RenderCache.open(name);
    expect((await cache.forModel('m')).map((r) => r.key).sort()).toEqual(['a', 'b']);
    const a = await cache.get('a');
    expect(decode(a!.png).width).toBe(8);
    expect(a!.snapshots[0].step).toBe(32);
    await cache.clear();
    expect(await cache.count()).toBe(0);
  });
});

describe('render cache when storage is full', () => {
  it('reports a full quota as QuotaError and keeps what was stored', async () => {
    const cache = await RenderCache.open(`q-${Math.random()}`);
    const rec = (key: string) => cacheRecord(key);
    await cache.put(rec('kept'));
    // The browser refuses the next write as a full disk would.
    const db = (cache as unknown as { db: { put: (...a: unknown[]) => Promise<unknown> } }).db;
    const put = db.put.bind(db);
    db.put = async () => {
      throw new DOMException('quota', 'QuotaExceededError');
    };
    await expect(cache.put(rec('new'))).rejects.toBeInstanceOf(QuotaError);
    db.put = put;
    expect((await cache.forModel('m')).map((r) => r.key)).toEqual(['kept']);
  });
});
