import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, type JobSettings } from '../../src/lib/protocol.ts';
import { queuedCard, type Card } from '../../src/lib/studio/cards.ts';
import { detailCards } from '../../src/lib/studio/detail-cards.ts';

const base: JobSettings = { ...DEFAULT_JOB_SETTINGS };
let n = 0;
const card = (channel: number, settings: JobSettings = base, extra: Partial<Card> = {}): Card => ({
  ...queuedCard(`k${n++}`, 'm', 'conv', channel, 0, settings),
  status: 'done',
  ...extra,
});

describe('the cards around the one the detail view is open on', () => {
  it('finds its variants, its seeds and the images composed around its channel', () => {
    const open = card(4);
    // Two groups of variants, asked for in this order: shown by group size, then variant.
    const three = { ...base, variants: 3, diversity: 100 };
    const two = { ...base, variants: 2, diversity: 50 };
    const threeOf = [2, 0, 1].map((variant) => card(4, three, { variant }));
    const twoOf = [1, 0].map((variant) => card(4, two, { variant }));
    const groupOtherSeed = card(4, { ...three, seed: 1 });
    const seed3 = card(4, { ...base, seed: 3 });
    const seed1 = card(4, { ...base, seed: 1 });
    const otherSteps = card(4, { ...base, steps: 64 });
    const neg = card(4, base, { combo: { kind: 'neg' } });
    const mix = card(4, base, { combo: { kind: 'mix', other: 9, t: 0.5 } });
    const negOtherSeed = card(4, { ...base, seed: 1 }, { combo: { kind: 'neg' } });
    const otherChannel = card(5);
    const otherModel = { ...card(4), modelKey: 'other' };
    const all = [open, ...threeOf, ...twoOf, groupOtherSeed, seed3, seed1, otherSteps, neg, mix, negOtherSeed];
    const around = detailCards([...all, otherChannel, otherModel], open);
    expect(around.variants).toEqual([open, twoOf[1], twoOf[0], threeOf[1], threeOf[2], threeOf[0]]);
    // Opened on a variant: the same list, and its seeds are that variant's under other seeds.
    expect(detailCards(all, threeOf[0]).variants).toEqual(around.variants);
    expect(detailCards(all, threeOf[1]).seeds).toEqual([threeOf[1], groupOtherSeed]);
    expect(around.seeds).toEqual([open, seed1, seed3]);
    expect(around.combos).toEqual([neg, mix]);
  });

  it('for a composed image: no variants and no compositions; its seeds are those of the same composition', () => {
    const neg = card(4, base, { combo: { kind: 'neg' } });
    const negSeed2 = card(4, { ...base, seed: 2 }, { combo: { kind: 'neg' } });
    const mix = card(4, { ...base, seed: 2 }, { combo: { kind: 'mix', other: 9, t: 0.5 } });
    const plain = card(4);
    const around = detailCards([neg, negSeed2, mix, plain], neg);
    expect(around.variants).toEqual([]);
    expect(around.combos).toEqual([]);
    expect(around.seeds).toEqual([neg, negSeed2]);
  });
});
