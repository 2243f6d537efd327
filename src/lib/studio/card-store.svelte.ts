/**
 * The cards on screen, in a reactive map keyed by job key. A card is a plain object: every change replaces it, so the
 * views that read it update. What the worker reports (started, snapshot, done, failed) lands here.
 */
import { untrack } from 'svelte';
import { SvelteMap } from 'svelte/reactivity';
import type { FromWorker } from '../protocol.ts';
import { isPending, type Card, type Frame } from './cards.ts';

export class CardStore extends SvelteMap<string, Card> {
  /**
   * A counter per layer, moved by every change of one of its cards: what a layer's band depends on (`ofLayer`,
   * `inLayer`). Bands that read the whole map worked their cards out again on every card's every message, all 28 of
   * the default gallery at once: a fifth of the page's main-thread time while it rendered (BENCHMARKS.md, session 28).
   */
  readonly #changes = new SvelteMap<string, number>();

  override set(key: string, card: Card): this {
    const before = untrack(() => super.get(key));
    super.set(key, card);
    this.#changed(card.layer);
    if (before && before.layer !== card.layer) this.#changed(before.layer);
    return this;
  }

  override delete(key: string): boolean {
    const before = untrack(() => super.get(key));
    const deleted = super.delete(key);
    if (before) this.#changed(before.layer);
    return deleted;
  }

  override clear(): void {
    const layers: Record<string, true> = {};
    untrack(() => {
      for (const c of super.values()) layers[c.layer] = true;
    });
    super.clear();
    for (const l of Object.keys(layers)) this.#changed(l);
  }

  #changed(layer: string) {
    this.#changes.set(layer, untrack(() => this.#changes.get(layer) ?? 0) + 1);
  }

  /**
   * The card under `key`, a card of `layer`, for a reader that depends on that layer's changes only: the map itself
   * answers a key it does not hold by depending on every change (each empty slot of every band re-ran per message).
   */
  inLayer(layer: string, key: string): Card | undefined {
    this.#changes.get(layer);
    return untrack(() => super.get(key));
  }

  /** The cards of one layer, for a reader that depends on that layer's changes only. */
  ofLayer(layer: string): Card[] {
    this.#changes.get(layer);
    return untrack(() => [...super.values()].filter((c) => c.layer === layer));
  }

  /**
   * Replaces a card by a changed copy; returns it (undefined when there is no such card). A card whose status changes
   * no longer waits (`Card.waiting`: only 'job-waiting' sets it, and whatever comes next ends it).
   */
  patch(key: string, patch: Partial<Card>): Card | undefined {
    const c = this.get(key);
    if (!c) return undefined;
    const next = { ...c, ...(patch.status && c.waiting ? { waiting: false } : {}), ...patch };
    this.set(key, next);
    return next;
  }

  /**
   * The card of a job this tab's worker runs. A card read from the cache is no job's, even under a job's key: another
   * tab's render replaced a queued one here, and what the worker sent before it heard the cancel must not change it.
   */
  job(id: string): Card | undefined {
    const c = this.get(id);
    return c && !c.fromCache ? c : undefined;
  }

  /** A job's card changed (started, requeued, failed); nothing when it is not a job's card (above). */
  patchJob(id: string, patch: Partial<Card>): Card | undefined {
    return this.job(id) && this.patch(id, patch);
  }

  /** A streamed snapshot: the card shows it and keeps it for the detail view's slider. */
  snapshot(m: Extract<FromWorker, { type: 'snapshot' }>): boolean {
    const c = this.job(m.id);
    if (!c) return false;
    const frame: Frame = { step: m.step, width: m.width, height: m.height, rgba: new Uint8ClampedArray(m.rgba), value: m.value };
    this.patch(m.id, { frame, frames: [...c.frames, frame], updates: c.updates + 1, status: 'running' });
    return true;
  }

  done(m: Extract<FromWorker, { type: 'job-done' }>): Card | undefined {
    return this.patchJob(m.id, { status: 'done', value: m.value, curve: m.curve, seconds: m.seconds, backend: m.backend });
  }

  /** Cards that are not done: nobody waits for them any more. */
  dropUnfinished() {
    for (const [key, card] of this) if (isPending(card)) this.delete(key);
  }

  /** Another model is on screen: its cards leave (its renders stay in the cache). */
  keepOnly(modelKey: string) {
    for (const [key, card] of this) if (card.modelKey !== modelKey) this.delete(key);
  }

  dropCached() {
    for (const [key, card] of this) if (card.fromCache) this.delete(key);
  }

  /** Cards from the cache, unless a live card already has the key. */
  restore(cards: Card[]) {
    for (const c of cards) if (!this.has(c.key)) this.set(c.key, c);
  }

  running(): Card[] {
    return [...this.values()].filter((c) => c.status === 'running');
  }
}
