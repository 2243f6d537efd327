import 'fake-indexeddb/auto';
import { unzipSync, strFromU8 } from 'fflate';
import { decode } from 'fast-png';
import { describe, expect, it, vi } from 'vitest';
import { contactSheet } from '../../src/lib/export/contact-sheet.ts';
import { encodeFramePng, encodePng, readPngMeta } from '../../src/lib/export/png.ts';
import { layerZip } from '../../src/lib/export/zip.ts';
import { DEFAULT_JOB_SETTINGS } from '../../src/lib/protocol.ts';
import { QuotaError, RenderCache, type RenderRecord } from '../../src/lib/store/cache.ts';
import { StudioCache } from '../../src/lib/studio/studio-cache.svelte.ts';
import { cardFromRecord } from '../../src/lib/studio/cards.ts';
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

  it("a render's history frame is a stored (not deflated) PNG that reads back to the same pixels", () => {
    const rgba = Uint8Array.from({ length: 16 * 16 * 4 }, (_, i) => (i * 37) % 251);
    const png = encodeFramePng(rgba, 16, 16);
    const img = decode(png);
    expect([img.width, img.height, img.channels]).toEqual([16, 16, 4]);
    expect(Buffer.from(img.data as Uint8Array).equals(Buffer.from(rgba))).toBe(true);
    // Stored: a filter byte per row plus zlib's block headers beside the pixels; a deflated one of these bytes is smaller.
    expect(png.length).toBeGreaterThan(rgba.length);
    expect(encodePng(rgba, 16, 16).length).toBeLessThan(png.length);
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
    curve: [{ step: 32, value: 1.5 }],
    value: 2,
    seconds: 1,
    backend: 'wasm',
    createdAt: 0,
  });

  it('stores, finds by model, survives reopening, and clears', async () => {
    const name = `t-${Math.random()}`;
    let cache = await RenderCache.open(name);
    const snapshots = [{ step: 32, png: encodePng(tile(5), 8, 8) }];
    await cache.put(record('a'), snapshots);
    await cache.put(record('b'), snapshots);
    await cache.put(record('c', 'other'));
    cache.close();
    cache = await RenderCache.open(name);
    expect((await cache.forModel('m')).map((r) => r.key).sort()).toEqual(['a', 'b']);
    const a = await cache.get('a');
    expect(decode(a!.png).width).toBe(8);
    // A model's renders come back without their snapshots, which are read by key when someone looks.
    expect(Object.keys(a!)).not.toContain('snapshots');
    expect((await cache.snapshots('a'))[0].step).toBe(32);
    expect(await cache.snapshots('c')).toEqual([]);
    await cache.clear();
    expect(await cache.count()).toBe(0);
    expect(await cache.snapshots('a')).toEqual([]);
  });

  it('moves the snapshots out of the records of a version-1 cache (snapshots inside each record)', async () => {
    const name = `v1-${Math.random()}`;
    const old = { ...record('a'), snapshots: [{ step: 32, png: encodePng(tile(5), 8, 8) }] };
    await new Promise<void>((done, fail) => {
      const req = indexedDB.open(name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('renders', { keyPath: 'key' }).createIndex('byModel', 'modelId');
      req.onsuccess = () => {
        const tx = req.result.transaction('renders', 'readwrite');
        tx.objectStore('renders').put(old);
        tx.objectStore('renders').put({ ...record('b'), snapshots: [] });
        tx.oncomplete = () => (req.result.close(), done());
        tx.onerror = () => fail(tx.error);
      };
    });
    const cache = await RenderCache.open(name);
    const back = await cache.forModel('m');
    expect(back.map((r) => r.key).sort()).toEqual(['a', 'b']);
    for (const r of back) expect(Object.keys(r)).not.toContain('snapshots');
    expect(decode(back.find((r) => r.key === 'a')!.png).width).toBe(8);
    const [snap] = await cache.snapshots('a');
    expect(snap.step).toBe(32);
    expect(decode(snap.png).data[0]).toBe(5);
    expect(await cache.snapshots('b')).toEqual([]);
    expect(await cache.count()).toBe(2);
    cache.close();
  });
});

describe('render cache held by a tab of an older version', () => {
  it('the studio goes on without it, says so, and takes it up once that tab lets go', async () => {
    const name = `blocked-${Math.random()}`;
    const old = await new Promise<IDBDatabase>((done) => {
      const req = indexedDB.open(name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('renders', { keyPath: 'key' }).createIndex('byModel', 'modelId');
      req.onsuccess = () => done(req.result);
    });
    const notes: string[] = [];
    const cache = new StudioCache((_kind, text) => notes.push(text));
    await cache.open(name); // returns although the upgrade waits for the older tab
    expect(notes).toEqual([expect.stringMatching(/^Another featurescope tab, opened before an update, holds the render/)]);
    old.close();
    await vi.waitFor(() => expect(notes).toContain('The render cache is available again: new renders are kept.'));
    expect(await cache.restore('m')).toEqual([]);
    expect(cache.count).toBe(0);
  });
});

describe('render cache shared by two tabs', () => {
  it("each tab hears what the other cached and cleared, reads the other's render back, and counts the same cache", async () => {
    const name = `tabs-${Math.random()}`;
    const heard: string[] = [];
    const a = new StudioCache(() => {});
    const b = new StudioCache(() => {}, {
      stored: (key, modelKey) => heard.push(`stored ${key} of ${modelKey}`),
      cleared: () => heard.push('cleared'),
    });
    await a.open(name);
    await b.open(name);
    const record = cacheRecord('k1', { channel: 3, value: 2.5 });
    await a.store(cardFromRecord(record), record.png);
    await a.store(cardFromRecord(record), record.png); // written again: still one render
    await vi.waitFor(() => expect(heard).toEqual(['stored k1 of m', 'stored k1 of m']));
    expect(a.count).toBe(1);
    await vi.waitFor(() => expect(b.count).toBe(1));
    const card = await b.card('k1');
    expect(card).toMatchObject({ key: 'k1', channel: 3, status: 'done', value: 2.5, fromCache: true });
    expect(card?.frame?.width).toBe(8);
    expect(await b.card('nothing')).toBeNull();
    await a.clear();
    await vi.waitFor(() => expect(heard.at(-1)).toBe('cleared'));
    await vi.waitFor(() => expect(b.count).toBe(0));
    expect(await b.card('k1')).toBeNull();
  });
});

describe('render cache when storage is full', () => {
  it('reports a full quota as QuotaError and keeps what was stored', async () => {
    const cache = await RenderCache.open(`q-${Math.random()}`);
    const rec = (key: string) => cacheRecord(key);
    await cache.put(rec('kept'));
    // The browser refuses the next write as a full disk would.
    const db = (cache as unknown as { db: { transaction: (...a: unknown[]) => unknown } }).db;
    const transaction = db.transaction.bind(db);
    db.transaction = () => {
      throw new DOMException('quota', 'QuotaExceededError');
    };
    await expect(cache.put(rec('new'))).rejects.toBeInstanceOf(QuotaError);
    db.transaction = transaction;
    expect((await cache.forModel('m')).map((r) => r.key)).toEqual(['kept']);
  });
});
