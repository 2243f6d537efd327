/**
 * The studio's cards by layer (CardStore.ofLayer): what a layer band reads, so that one card's change re-works only its
 * own band. (Whether a band re-runs is Svelte's client reactivity, which these Node tests do not run; the gallery's
 * end-to-end tests do.)
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS } from '../../src/lib/protocol.ts';
import { CardStore } from '../../src/lib/studio/card-store.svelte.ts';
import { queuedCard } from '../../src/lib/studio/cards.ts';

const card = (key: string, layer: string, channel: number) => queuedCard(key, 'm', layer, channel, 0, DEFAULT_JOB_SETTINGS);
const keys = (cards: CardStore, layer: string) => cards.ofLayer(layer).map((c) => c.key);

describe('the cards of one layer', () => {
  it('follow every change of the store: added, replaced, moved to another layer, deleted, cleared', () => {
    const cards = new CardStore();
    cards.set('a0', card('a0', 'a', 0));
    cards.set('b0', card('b0', 'b', 0));
    cards.set('a1', card('a1', 'a', 1));
    expect(keys(cards, 'a')).toEqual(['a0', 'a1']);
    expect(keys(cards, 'b')).toEqual(['b0']);
    expect(keys(cards, 'c')).toEqual([]);
    cards.patch('a1', { status: 'running' });
    expect(cards.ofLayer('a')[1].status).toBe('running');
    cards.set('a0', card('a0', 'b', 5));
    expect(keys(cards, 'a')).toEqual(['a1']);
    expect(keys(cards, 'b')).toEqual(['a0', 'b0']);
    cards.delete('b0');
    expect(keys(cards, 'b')).toEqual(['a0']);
    cards.clear();
    expect([keys(cards, 'a'), keys(cards, 'b')]).toEqual([[], []]);
    cards.set('a2', card('a2', 'a', 2));
    expect(keys(cards, 'a')).toEqual(['a2']);
    expect(cards.inLayer('a', 'a2')?.channel).toBe(2);
    expect(cards.inLayer('a', 'a3')).toBeUndefined();
  });
});

describe('a waiting card', () => {
  it('waits until its status changes: started again, done, failed or queued again', () => {
    const cards = new CardStore();
    for (const status of ['running', 'done', 'failed', 'queued'] as const) {
      cards.set('a', { ...card('a', 'l', 0), status: 'running' });
      cards.patch('a', { waiting: true });
      cards.patch('a', { curve: [{ step: 8, value: 1 }] });
      expect(cards.get('a')!.waiting).toBe(true);
      cards.patch('a', { status });
      expect(cards.get('a')!.waiting).toBe(false);
    }
  });
});
