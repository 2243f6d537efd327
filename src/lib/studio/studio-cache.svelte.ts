/**
 * The studio's side of the render cache: opens it, counts it for the header, reads a model's renders back as cards,
 * writes finished ones and clears it — each failure a note on the page, never the end of the studio (a browser
 * without IndexedDB renders without keeping anything; a full one keeps what it holds).
 *
 * Tabs of the studio share the cache, and tell each other what they write and clear (a BroadcastChannel named after
 * the database): a render finished in one tab shows in the others without being rendered again, and every tab's
 * header counts the same cache.
 */
import { QuotaError, RenderCache, type Snapshots } from '../store/cache.ts';
import { readCard, restoreCards, storeCard } from './cache-sync.ts';
import type { Card } from './cards.ts';

type Note = (kind: 'info' | 'error', text: string) => void;

/** What one tab tells the others about the cache. */
type TabMessage = { type: 'stored'; key: string; modelKey: string } | { type: 'cleared' };

/** What the studio does when another tab writes or clears the cache. */
export interface OtherTabs {
  /** Another tab cached this render (of model `modelKey`). */
  stored(key: string, modelKey: string): void;
  /** Another tab cleared the cache. */
  cleared(): void;
}

export class StudioCache {
  /** Renders in the cache (the header's count). */
  count = $state(0);
  private cache: RenderCache | null = null;
  private tabs: BroadcastChannel | null = null;

  constructor(
    private readonly note: Note,
    private readonly otherTabs?: OtherTabs,
  ) {}

  /** Listens to the other tabs of this cache (where the browser has BroadcastChannel). */
  private listen(name: string) {
    if (typeof BroadcastChannel === 'undefined') return;
    this.tabs = new BroadcastChannel(`${name}-renders`);
    this.tabs.onmessage = (e: MessageEvent<TabMessage>) => {
      void this.recount();
      if (e.data.type === 'stored') this.otherTabs?.stored(e.data.key, e.data.modelKey);
      else if (e.data.type === 'cleared') this.otherTabs?.cleared();
    };
  }

  private tell(m: TabMessage) {
    this.tabs?.postMessage(m);
  }

  /** The header's count, read again (a render written twice is one record). */
  private async recount() {
    if (!this.cache) return;
    try {
      this.count = await this.cache.count();
    } catch {
      // The count is a figure in the header: the last one stays.
    }
  }

  /**
   * Opens the cache. When a tab of an older featurescope keeps its upgrade waiting, this returns at once and the studio
   * goes on without the cache (it says so), taking it up once that tab lets go: renders finished from then on are kept.
   */
  async open(name = 'featurescope'): Promise<void> {
    this.listen(name);
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

  /** A render another tab cached, as a card; null when it is not there (cleared since) or cannot be read. */
  async card(key: string): Promise<Card | null> {
    if (!this.cache) return null;
    try {
      return await readCard(this.cache, key);
    } catch {
      return null;
    }
  }

  /** Keeps a finished card; `png` is its final image with the settings chunk. */
  async store(c: Card, png: Uint8Array): Promise<void> {
    if (!this.cache) return;
    try {
      await storeCard(this.cache, c, png);
      this.tell({ type: 'stored', key: c.key, modelKey: c.modelKey });
      await this.recount();
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
    this.tell({ type: 'cleared' });
  }
}
