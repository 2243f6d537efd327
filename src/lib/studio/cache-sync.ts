/**
 * Between the cards and the IndexedDB render cache: finished cards are written as records, and a model's records
 * come back as cards. One damaged record is skipped and counted, never the end of the restore.
 */
import { encodeFramePng } from '../export/png.ts';
import type { RenderCache, RenderRecord } from '../store/cache.ts';
import { cardFromRecord, type Card } from './cards.ts';

export interface Restored {
  cards: Card[];
  /** Records that could not be read back (damaged PNG bytes, missing fields). */
  skipped: number;
}

/** A record as a card; throws for a damaged one (missing fields, bytes that are not a PNG). */
function recordCard(r: RenderRecord): Card {
  if (!r.settings || !r.png) throw new Error('incomplete record');
  return cardFromRecord(r);
}

export async function restoreCards(cache: RenderCache, modelKey: string): Promise<Restored> {
  const records = await cache.forModel(modelKey);
  const cards: Card[] = [];
  let skipped = 0;
  for (const r of records) {
    try {
      cards.push(recordCard(r));
    } catch {
      skipped++;
    }
  }
  return { cards, skipped };
}

/** One render read back as a card (another tab wrote it); null when it is not cached or is damaged. */
export async function readCard(cache: RenderCache, key: string): Promise<Card | null> {
  const r = await cache.get(key);
  try {
    return r ? recordCard(r) : null;
  } catch {
    return null;
  }
}

/** Writes a finished card; `png` is its final image with the settings chunk. */
export async function storeCard(cache: RenderCache, c: Card, png: Uint8Array): Promise<void> {
  if (!c.frame) return;
  const snapshots = c.frames.map((f) => ({
    step: f.step,
    png: encodeFramePng(new Uint8Array(f.rgba.buffer, f.rgba.byteOffset, f.rgba.byteLength), f.width, f.height),
  }));
  const record: RenderRecord = {
    key: c.key,
    modelId: c.modelKey,
    layer: c.layer,
    channel: c.channel,
    variant: c.variant,
    ...(c.combo ? { combo: c.combo } : {}),
    settings: c.settings,
    width: c.frame.width,
    height: c.frame.height,
    png,
    curve: c.curve,
    value: c.value ?? NaN,
    seconds: c.seconds ?? NaN,
    backend: c.backend ?? '',
    createdAt: Date.now(),
  };
  await cache.put(record, snapshots);
}
