import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, type JobSettings } from '../../src/lib/protocol.ts';
import { bandCards, formatEta, slotOf, SlotMemo, wholeLayerQuestion } from '../../src/lib/studio/band-cards.ts';
import { queuedCard, type Card } from '../../src/lib/studio/cards.ts';

const now: JobSettings = { ...DEFAULT_JOB_SETTINGS };
const before: JobSettings = { ...DEFAULT_JOB_SETTINGS, steps: 64 };
const frame = { step: 1, width: 2, height: 2, rgba: new Uint8ClampedArray(16), value: 1 };
let n = 0;
function card(channel: number, status: Card['status'], settings = now, extra: Partial<Card> = {}): Card {
  const c = queuedCard(`k${n++}`, 'm', 'conv', channel, 0, settings);
  return { ...c, status, frame: status === 'done' || status === 'running' ? frame : null, ...extra };
}

describe("a layer band's cards", () => {
  it('sorts each card of its model and layer into what the band shows, exports and cancels', () => {
    const done = card(0, 'done');
    // A group of variants asked for in the detail view, finished after the single image: not the gallery's.
    const group = { ...now, variants: 2, diversity: 100 };
    const variants = [card(0, 'done', group), card(0, 'done', group, { variant: 1 }), card(9, 'done', group)];
    const old = card(1, 'done', before);
    const oldThenNew = [card(2, 'done', before), card(2, 'done', { ...before, size: 96 })];
    const running = card(3, 'running');
    const queuedFar = card(40, 'queued');
    const doneFar = card(12, 'done');
    const combo = card(0, 'done', now, { combo: { kind: 'neg' } });
    const otherLayer = { ...card(0, 'done'), layer: 'other' };
    const otherModel = { ...card(0, 'done'), modelKey: 'other' };
    const failed = card(5, 'failed');
    // A whole layer asked for under the old settings, still queued after the change: shown (marked) until one finishes.
    const queuedOld = card(6, 'queued', before);
    const doneAndQueuedOld = [card(7, 'done', before), card(7, 'queued', { ...before, seed: 3 })];
    const queuedThenDoneOld = [card(8, 'running', before), card(8, 'done', { ...before, seed: 3 })];
    const all = [
      ...[done, ...variants, old, ...oldThenNew, running, queuedFar, doneFar, combo, otherLayer, otherModel, failed],
      ...[queuedOld, ...doneAndQueuedOld, ...queuedThenDoneOld],
    ];
    const b = bandCards(all, 'm', 'conv', now, 10);
    expect(b.rendered).toEqual([done, doneFar]);
    expect(b.beyond).toEqual([12, 40]);
    expect(b.pending).toEqual([running, queuedFar, queuedOld, doneAndQueuedOld[1], queuedThenDoneOld[0]]);
    // The latest finished image of each channel, whatever its settings (the current one is looked up first).
    expect(b.others.get(1)).toBe(old);
    expect(b.others.get(2)).toBe(oldThenNew[1]);
    expect(b.others.get(0)).toBe(done);
    expect(b.others.has(9)).toBe(false);
    expect(b.others.has(3)).toBe(false); // running under the current settings: the band finds it itself
    expect(b.others.get(6)).toBe(queuedOld);
    expect(b.others.get(7)).toBe(doneAndQueuedOld[0]); // a finished image beats a pending one, in either order
    expect(b.others.get(8)).toBe(queuedThenDoneOld[1]);
    expect(b.others.has(5)).toBe(false);
    expect(b.classes).toEqual([]);
  });

  it("keeps a finished image under other settings on screen until the current settings' render has one", () => {
    const old = card(0, 'done', before);
    const queued = card(0, 'queued');
    const started = { ...card(0, 'running'), frame: null };
    const streaming = card(0, 'running');
    const failed = card(0, 'failed');
    // Background rendering queues every card on screen after a change: the old image stays, marked, with its successor.
    expect(slotOf(queued, old)).toEqual({ card: old, other: true, next: queued });
    expect(slotOf(started, old)).toEqual({ card: old, other: true, next: started });
    // The first snapshot replaces it; so does a failure (its message is on the card).
    expect(slotOf(streaming, old)).toEqual({ card: streaming, other: false, next: null });
    expect(slotOf(failed, old)).toEqual({ card: failed, other: false, next: null });
    // Nothing finished to keep: the current card, else a render still pending under other settings (marked).
    const pendingOld = card(0, 'running', before);
    expect(slotOf(queued, undefined)).toEqual({ card: queued, other: false, next: null });
    expect(slotOf(queued, pendingOld)).toEqual({ card: queued, other: false, next: null });
    expect(slotOf(undefined, pendingOld)).toEqual({ card: pendingOld, other: true, next: null });
    expect(slotOf(undefined, old)).toEqual({ card: old, other: true, next: null });
    expect(slotOf(undefined, undefined)).toEqual({ card: undefined, other: false, next: null });
  });

  it("hands a channel's earlier slot back while it holds the same cards, so the card views it feeds stay as they are", () => {
    const memo = new SlotMemo();
    const old = card(0, 'done', before);
    const queued = card(0, 'queued');
    const first = memo.keep(0, slotOf(queued, old));
    // Another card's message made the band work its slots out again: same cards, the same object back.
    expect(memo.keep(0, slotOf(queued, old))).toBe(first);
    // Channels are kept apart.
    const other = memo.keep(1, slotOf(queued, old));
    expect(other).not.toBe(first);
    expect(memo.keep(0, slotOf(queued, old))).toBe(first);
    // Any change of what the slot holds gives the new slot: the first snapshot, then each later one.
    const streaming = card(0, 'running');
    const shown = memo.keep(0, slotOf(streaming, old));
    expect(shown).not.toBe(first);
    expect(shown).toEqual({ card: streaming, other: false, next: null });
    const later = { ...streaming, frame: { ...frame, step: 2 } };
    expect(memo.keep(0, slotOf(later, old)).card).toBe(later);
    // The same cards, marked differently (other), are a different slot too.
    const plain = memo.keep(2, { card: old, other: false, next: null });
    expect(memo.keep(2, { card: old, other: true, next: null })).not.toBe(plain);
  });

  it('keeps class renders of a class band in any state and settings; a cancelled combo is pending too', () => {
    const logit = { ...now, objective: 'logit' as const };
    const a = card(281, 'done', logit);
    const q = card(7, 'queued', { ...logit, steps: 32 });
    const combo = card(9, 'queued', now, { combo: { kind: 'neg' } });
    const b = bandCards([a, q, combo], 'm', 'conv', logit, 10);
    expect(b.classes.sort((x, y) => x - y)).toEqual([7, 281]);
    expect(b.pending).toEqual([q, combo]);
    expect(b.rendered).toEqual([a]);
  });

  it('says how long a whole layer would take before starting it, and asks nothing for 16 renders or fewer', () => {
    expect(wholeLayerQuestion('conv_pw_3_bn', 96, 80, 160, 50)).toBeNull();
    // 88 renders = 11 batches of 8, 160 steps at 60 ms: 105.6 s, about 2 min.
    expect(wholeLayerQuestion('conv_pw_3_bn', 96, 8, 160, 60)).toBe(
      'Render all 96 channels of conv_pw_3_bn (88 not rendered yet) — about 2 min at the measured 60 ms/step?',
    );
    expect(wholeLayerQuestion('c', 40, 0, 32, 10)).toContain('— under a minute at the measured 10 ms/step?');
    expect(wholeLayerQuestion('c', 40, 0, 32, 0)).toBe('Render all 40 channels of c (40 not rendered yet)?');
    expect(formatEta(65_400)).toBe('1 min 5 s');
    expect(formatEta(40_000)).toBe('40 s');
    expect(formatEta(400)).toBe('1 s');
  });
});
