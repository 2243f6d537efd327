import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, jobKey, type JobSettings } from '../../src/lib/protocol.ts';
import { checkJobSettings, settingsFromParams, singleImage } from '../../src/lib/settings.ts';
import { shareLink, targetFromParams } from '../../src/lib/studio/share-link.ts';
import { cardFromRecord } from '../../src/lib/studio/cards.ts';
import { settingsKey } from '../../src/lib/studio/band-cards.ts';
import { cacheRecord } from './cache-record.ts';
import { imageMeta, metaRows } from '../../src/lib/export/image-meta.ts';
import { variantSuffix } from '../../src/lib/export/file-names.ts';

const single: JobSettings = { ...DEFAULT_JOB_SETTINGS };
const four: JobSettings = { ...single, variants: 4, diversity: 100 };
const key = (s: JobSettings, variant = 0) => jobKey({ modelId: 'm', layer: 'l', channel: 3, variant, settings: s });

describe('groups of variants: the gallery renders single images, a group is its own identity', () => {
  it('a single image has no diversity weight: one written form, so a weight set for groups never re-keys the gallery', () => {
    expect(checkJobSettings({ ...single, diversity: 100 })).toEqual(single);
    expect(checkJobSettings(four)).toEqual(four);
    expect(singleImage(four)).toEqual(single);
    // Settings written before groups had a size are single images.
    const { variants: _v, ...older } = single;
    expect(checkJobSettings(older)).toEqual(single);
    expect(() => checkJobSettings({ ...single, variants: 9 })).toThrow(/variants must be a whole number from 1 to 8/);
    expect(() => checkJobSettings({ ...single, variants: 0 })).toThrow(/variants must be/);
  });

  it("a variant's key names its group size: variant 0 of a pair is not variant 0 of four, nor the single image", () => {
    const pair = { ...four, variants: 2 };
    expect(new Set([key(single), key(four), key(pair), key(four, 1)]).size).toBe(4);
    // The single image's key is the one written before groups existed (cached renders are still found).
    expect(key(single)).toBe('m|l|3|0|channel|128|160|0|fourier|t|0');
    expect(key(four)).toBe('m|l|3|0|channel|128|160|0|fourier|t|100|x4');
  });

  it("a link to a variant carries its group and renders that group again; older links' groups are at least variant + 1", () => {
    const href = shareLink('http://x/?old=1', 'mob', { layer: 'l', channel: 3, variant: 2 }, four);
    const q = new URL(href).searchParams;
    expect(q.get('variants')).toBe('4');
    expect(q.get('diversity')).toBe('100');
    expect(settingsFromParams(q, DEFAULT_JOB_SETTINGS).settings).toEqual(four);
    expect(targetFromParams(q).target).toEqual({ layer: 'l', channel: 3, variant: 2 });
    const older = new URLSearchParams('layer=l&channel=3&variant=2&diversity=100');
    expect(settingsFromParams(older, DEFAULT_JOB_SETTINGS).settings).toEqual({ ...four, variants: 3 });
    // A single image's link names no group, and a diversity weight without one is dropped.
    const plain = new URL(shareLink('http://x/', 'mob', { layer: 'l', channel: 3, variant: 0 }, single)).searchParams;
    expect(plain.has('variants') || plain.has('diversity')).toBe(false);
    const stray = settingsFromParams(new URLSearchParams('diversity=100'), DEFAULT_JOB_SETTINGS);
    expect(stray).toEqual({ settings: single, refused: [] });
  });

  it('a render cached before groups existed reads back as a single image, found by the gallery under its old key', () => {
    const { variants: _v, ...older } = single;
    const card = cardFromRecord(cacheRecord(key(single), { settings: older as JobSettings }));
    expect(card.settings).toEqual(single);
    expect(settingsKey(card.settings)).toBe(settingsKey(single));
    expect(card.key).toBe(key(single));
    // The key order of the written settings does not matter to the comparison.
    const reordered = Object.fromEntries(Object.entries(single).reverse()) as unknown as JobSettings;
    expect(settingsKey(reordered)).toBe(settingsKey(single));
  });

  it("the detail view's settings table counts a variant from 1 with its group, and shows no variant for a single image", () => {
    const rows = (settings: JobSettings, variant = 0) =>
      Object.fromEntries(
        metaRows(imageMeta({ model: 'm', layer: 'l', channel: 3, variant, value: 1, backend: 'wasm', settings })),
      );
    expect(rows(four, 1).variant).toBe('2 of 4');
    expect(rows(four, 1).diversity).toBe('100');
    expect(rows(single)).not.toHaveProperty('variant');
    expect(rows(single)).not.toHaveProperty('variants');
    expect(rows(four)).not.toHaveProperty('variants');
  });

  it("a variant's file name never takes the single image's: variant 0 of a group is -v0, as the CLI writes", () => {
    expect(variantSuffix(0)).toBe('');
    expect(variantSuffix(0, 4)).toBe('-v0');
    expect(variantSuffix(3, 4)).toBe('-v3');
  });
});
