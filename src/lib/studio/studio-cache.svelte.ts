/**
 * The studio's side of the render cache: opens it, counts it for the header, reads a model's renders back as cards,
 * writes finished ones and clears it — each failure a note on the page, never the end of the studio (a browser
 * without IndexedDB renders without keeping anything; a full one keeps what it holds).
 */
import { QuotaError, RenderCache, type Snapshots } from '../store/cache.ts';
import { restoreCards, storeCard } from './cache-sync.ts';
import type { Card } from './cards.ts';

type Note = (kind: 'info' | 'error', text: string) => void;

export class StudioCache {
  /** Renders in the cache (the header's count). */
  count = $state(0);
  private cache: RenderCache | null = null;

  constructor(private readonly note: Note) {}

  async open(): Promise<void> {
    try {
      this.cache = await RenderCache.open();
      this.count = await this.cache.count();
    } catch (e) {
      this.note('error', `IndexedDB is unavailable; renders will not be kept (${(e as Error).message})`);
    }
  }

  /** A model's cached renders as cards; none when the cache is unavailable or cannot be read (noted). */
  async restore(modelKey: string): Promise<Card[]> {
    if (!this.cache) return [];
    try {
      const { cards, skipped } = await restoreCards(this.cache, modelKey);
      if (skipped) this.note('error', `${skipped} cached render(s) could not be read and were skipped.`);
      return cards;
    } catch (e) {
      this.note('error', `Could not read the cache: ${(e as Error).message}`);
      return [];
    }
  }

  /** A restored card's snapshots; none when they cannot be read (noted: the final image is still there). */
  async snapshots(key: string): Promise<Snapshots> {
    if (!this.cache) return [];
    try {
      return await this.cache.snapshots(key);
    } catch (e) {
      this.note('error', `Could not read a render's snapshots from the cache: ${(e as Error).message}`);
      return [];
    }
  }

  /** Keeps a finished card; `png` is its final image with the settings chunk. */
  async store(c: Card, png: Uint8Array): Promise<void> {
    if (!this.cache) return;
    try {
      await storeCard(this.cache, c, png);
      this.count++;
    } catch (e) {
      this.note(
        'error',
        e instanceof QuotaError
          ? `${e.message}. Everything cached so far is kept.`
          : `Could not cache a render: ${(e as Error).message}`,
      );
    }
  }

  async clear(): Promise<void> {
    await this.cache?.clear();
    this.count = 0;
  }
}
