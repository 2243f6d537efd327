/**
 * The cards the detail view shows around the one it is open on, in one pass over the studio's cards: its variants
 * (diverse images rendered together), every seed rendered for the same target and settings, and the images composed
 * around its channel. (The view used three filters, each writing settings as JSON per card, on every snapshot.)
 */
import { memoKey, sortedJson } from './band-cards.ts';
import type { Card } from './cards.ts';

export interface DetailCards {
  /**
   * The channel's images under the same settings but the group: the single image and each group of variants (by group
   * size, diversity, variant); none for a composed image.
   */
  variants: Card[];
  /** The same target (composition, variant) and settings but the seed, by seed: the card's history. */
  seeds: Card[];
  /** Images composed around this channel with its seed, size and steps, in the order they were asked for. */
  combos: Card[];
}

/** Settings but the seed, as one comparable string. */
const withoutSeed = memoKey(({ seed: _seed, ...rest }) => sortedJson(rest));
/** Settings but the group (size and diversity), as one comparable string. */
const withoutGroup = memoKey(({ variants: _v, diversity: _d, ...rest }) => sortedJson(rest));

export function detailCards(cards: Iterable<Card>, card: Card): DetailCards {
  const out: DetailCards = { variants: [], seeds: [], combos: [] };
  const [group, rest, combo] = [withoutGroup(card.settings), withoutSeed(card.settings), JSON.stringify(card.combo)];
  for (const c of cards) {
    if (c.layer !== card.layer || c.channel !== card.channel || c.modelKey !== card.modelKey) continue;
    if (!c.combo && !card.combo && withoutGroup(c.settings) === group) out.variants.push(c);
    if (c.variant === card.variant && withoutSeed(c.settings) === rest && JSON.stringify(c.combo) === combo) out.seeds.push(c);
    const { seed, size, steps } = c.settings;
    if (c.combo && !card.combo && seed === card.settings.seed && size === card.settings.size && steps === card.settings.steps)
      out.combos.push(c);
  }
  out.variants.sort(
    (a, b) => a.settings.variants - b.settings.variants || a.settings.diversity - b.settings.diversity || a.variant - b.variant,
  );
  out.seeds.sort((a, b) => a.settings.seed - b.settings.seed);
  return out;
}
