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

  /**
   * Opens the cache. When a tab of an older featurescope keeps its upgrade waiting, this returns at once and the studio
   * goes on without the cache (it says so), taking it up once that tab lets go: renders finished from then on are kept.
   */
  async open(name?: string): Promise<void> {
    const failed = (e: unknown) =>
      this.note('error', `IndexedDB is unavailable; renders will not be kept (${(e as Error).message})`);
    let blocked!: () => void;
    const waiting = new Promise<'blocked'>((resolve) => (blocked = () => resolve('blocked')));
    const opening = RenderCache.open(name, blocked).then(async (cache) => {
      this.count = await cache.count();
      this.cache = cache;
    });
    try {
      if ((await Promise.race([opening, waiting])) !== 'blocked') return;
    } catch (e) {
      return failed(e);
    }
    this.note(
      'error',
      'Another featurescope tab, opened before an update, holds the render cache: close or reload it. Until then renders are not kept.',
    );
    opening.then(() => this.note('info', 'The render cache is available again: new renders are kept.'), failed);
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
