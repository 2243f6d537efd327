import { mkdtempSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_ID, REGISTRY, registryEntry } from '../../src/lib/models/registry.ts';
import { ensureModel, modelDir } from '../../src/lib/node/model-cache.ts';

const saved = process.env.FEATURESCOPE_MODELS_MIRROR;
afterEach(() => {
  if (saved === undefined) delete process.env.FEATURESCOPE_MODELS_MIRROR;
  else process.env.FEATURESCOPE_MODELS_MIRROR = saved;
});

/** A mirror holding the small graph model, with `mutate` applied to its weight file. */
function mirrorWith(mutate: (b: Buffer) => Buffer | null): string {
  const id = 'mobilenet_v1_0.25_224_tfhub_graph';
  const mirror = mkdtempSync(join(tmpdir(), 'fs-mirror-'));
  mkdirSync(join(mirror, id));
  const src = modelDir(id);
  writeFileSync(join(mirror, id, 'model.json'), readFileSync(join(src, 'model.json')));
  const w = mutate(readFileSync(join(src, 'group1-shard1of1')));
  if (w) writeFileSync(join(mirror, id, 'group1-shard1of1'), w);
  return mirror;
}

describe('model registry and fetch step', () => {
  it('describes the three models with sizes, checksums, input size and range', () => {
    expect(REGISTRY.map((m) => m.id).sort()).toEqual([
      'mobilenet_v1_0.25_224',
      'mobilenet_v1_0.25_224_tfhub_graph',
      'mobilenet_v1_0.75_224',
    ]);
    expect(DEFAULT_MODEL_ID).toBe('mobilenet_v1_0.75_224');
    for (const m of REGISTRY) {
      expect(m.upstream).toMatch(/^https:\/\//);
      expect(m.files[0].path).toBe('model.json');
      for (const f of m.files) {
        expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(f.bytes).toBeGreaterThan(0);
      }
    }
    expect(registryEntry('mobilenet_v1_0.25_224_tfhub_graph')).toMatchObject({
      format: 'graph',
      inputRange: [0, 1],
      labelOffset: 1,
    });
  });

  it('copies a model from a mirror and verifies it', async () => {
    process.env.FEATURESCOPE_MODELS_MIRROR = mirrorWith((b) => b);
    const cache = mkdtempSync(join(tmpdir(), 'fs-cache-'));
    const dir = await ensureModel(registryEntry('mobilenet_v1_0.25_224_tfhub_graph')!, () => {}, cache);
    expect(existsSync(join(dir, 'group1-shard1of1'))).toBe(true);
  });

  it('fills one cache from several loads at once (the render pool starts its engines together)', async () => {
    process.env.FEATURESCOPE_MODELS_MIRROR = mirrorWith((b) => b);
    const cache = mkdtempSync(join(tmpdir(), 'fs-cache-'));
    const entry = registryEntry('mobilenet_v1_0.25_224_tfhub_graph')!;
    const dirs = await Promise.all([1, 2, 3, 4].map(() => ensureModel(entry, () => {}, cache)));
    expect(new Set(dirs).size).toBe(1);
    for (const f of entry.files) expect(statSync(join(dirs[0], f.path)).size).toBe(f.bytes);
    expect(JSON.parse(readFileSync(join(dirs[0], 'labels.json'), 'utf8'))).toHaveLength(1000);
    expect(readdirSync(dirs[0]).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('stops on a checksum mismatch and on a missing file, naming the file', async () => {
    const entry = registryEntry('mobilenet_v1_0.25_224_tfhub_graph')!;
    process.env.FEATURESCOPE_MODELS_MIRROR = mirrorWith((b) => {
      const c = Buffer.from(b);
      c[100] ^= 0xff;
      return c;
    });
    await expect(ensureModel(entry, () => {}, mkdtempSync(join(tmpdir(), 'fs-cache-')))).rejects.toThrow(
      /group1-shard1of1: sha256 [0-9a-f]{64} does not match the registry/,
    );
    process.env.FEATURESCOPE_MODELS_MIRROR = mirrorWith(() => null);
    await expect(ensureModel(entry, () => {}, mkdtempSync(join(tmpdir(), 'fs-cache-')))).rejects.toThrow(
      /group1-shard1of1: missing from the mirror/,
    );
  });
});
