/**
 * The cards and the render cache together: a model's finished renders shown from the cache when it opens, a render
 * another tab cached shown here without rendering it again, a restored card's snapshots read back on first use, and
 * finished renders written. The cache's own failures are notes on the page (studio-cache.svelte.ts).
 */
import type { CardStore } from './card-store.svelte.ts';
import { framesOf, isPending, withSnapshots, type Card, type Frame } from './cards.ts';
import { StudioCache } from './studio-cache.svelte.ts';

type Note = (kind: 'info' | 'error', text: string) => void;

export interface CachedCardsHost {
  readonly cards: CardStore;
  /** The cache identity of the model on screen. */
  modelKey(): string | null;
  note: Note;
  /** Takes back renders queued or running here (another tab's image replaces them). */
  cancel(keys: string[]): void;
  /** The cache was emptied (here or in another tab) and the cards read from it are gone. */
  cleared(): void;
}

export class CachedCards {
  private readonly cache: StudioCache;
  /** Cards whose snapshots are being read from the cache. */
  private readonly snapshotReads = new Set<string>();

  constructor(private readonly host: CachedCardsHost) {
    this.cache = new StudioCache(host.note, {
      stored: (key, modelKey) => void this.adopt(key, modelKey),
      cleared: () => {
        host.cards.dropCached();
        host.cleared();
        host.note('info', 'The cache was cleared in another tab.');
      },
    });
  }

  open(): Promise<void> {
    return this.cache.open();
  }

  /** Renders in the cache (the header's count; reactive). */
  get count(): number {
    return this.cache.count;
  }

  /** Shows every image already rendered for the model without rendering it again (if it is still on screen). */
  async restore(modelKey: string): Promise<void> {
    const cards = await this.cache.restore(modelKey);
    if (this.host.modelKey() === modelKey) this.host.cards.restore(cards);
  }

  /**
   * A render another tab of this browser finished and cached: shown here too, and not rendered again (a queued or
   * running render of it here is cancelled: a batch whose every image came from elsewhere stops).
   */
  private async adopt(key: string, modelKey: string): Promise<void> {
    const { cards } = this.host;
    const waiting = () => {
      const c = cards.get(key);
      return this.host.modelKey() === modelKey && (!c || isPending(c));
    };
    if (!waiting()) return;
    const card = await this.cache.card(key);
    if (!card || !waiting()) return;
    if (cards.has(key)) this.host.cancel([key]);
    cards.set(key, card);
  }

  /**
   * The card's snapshots, decoded on first use for cards restored from the cache. Those read their snapshots from the
   * cache first: until then the final image alone, and the card changes (so this is asked again) once they are read.
   */
  framesOf(card: Card): Frame[] {
    if (card.snapshotsInCache) void this.readSnapshots(card.key);
    return framesOf(card);
  }

  private async readSnapshots(key: string): Promise<void> {
    if (this.snapshotReads.has(key)) return;
    this.snapshotReads.add(key);
    // Never throws: a read that fails is a note, and the card keeps its final image.
    const snapshots = await this.cache.snapshots(key);
    this.snapshotReads.delete(key);
    const c = this.host.cards.get(key);
    if (c?.snapshotsInCache) this.host.cards.patch(key, withSnapshots(c, snapshots));
  }

  /** Writes a finished card (its PNG); settles when it is in the cache or the write failed (a note says so). */
  store(card: Card, png: Uint8Array): Promise<void> {
    return this.cache.store(card, png);
  }

  async clear(): Promise<void> {
    await this.cache.clear();
    this.host.cards.dropCached();
    this.host.cleared();
  }
}
