/**
 * Which of the studio's cards a layer band shows, worked out in one pass over the cards (the band used five filters,
 * each comparing settings as JSON per card, on every streamed snapshot of every card).
 */
import type { JobSettings } from '../protocol.ts';
import { isPending, type Card } from './cards.ts';

/**
 * A comparable string for each settings object, written once per object: a card's settings object is shared by the
 * copies the studio makes of the card on every change.
 */
export function memoKey(write: (s: JobSettings) => string): (s: JobSettings) => string {
  const written = new WeakMap<JobSettings, string>();
  return (s) => {
    let k = written.get(s);
    if (k === undefined) written.set(s, (k = write(s)));
    return k;
  };
}

/** An object as JSON with its keys in one order, whatever order it was built in. */
export const sortedJson = (o: object) => JSON.stringify(o, Object.keys(o).sort());

/** Settings as one comparable string. */
export const settingsKey = memoKey(sortedJson);

export interface BandCards {
  /** Finished images with the band's settings: what its ZIP and contact sheet export. */
  rendered: Card[];
  /** Channels at or past `shown` that have a card with the band's settings (asked for from a photo, a link, a range). */
  beyond: number[];
  /**
   * The latest finished image of each channel under any settings, shown (marked) until the current one exists; where
   * none is finished, a render still queued or running under other settings (a whole layer asked for before a change
   * of settings keeps rendering: what a person asked for stays), so that it shows as pending and can be cancelled.
   */
  others: Map<number, Card>;
  /** Queued and running renders of the band, any settings: what its cancel button stops. */
  pending: Card[];
  /** Channels of class renders (a class band), any settings and state: they stay in the band after a reload. */
  classes: number[];
}

/** The band's share of the cards of model `modelKey`, for `layer` rendered with `settings`. */
export function bandCards(
  cards: Iterable<Card>,
  modelKey: string | null,
  layer: string,
  settings: JobSettings,
  shown: number,
): BandCards {
  const want = settingsKey(settings);
  const out: BandCards = { rendered: [], beyond: [], others: new Map(), pending: [], classes: [] };
  const beyond = new Set<number>();
  const classes = new Set<number>();
  for (const c of cards) {
    if (c.modelKey !== modelKey || c.layer !== layer) continue;
    const pending = isPending(c);
    if (pending) out.pending.push(c);
    if (c.settings.objective === 'logit') classes.add(c.channel);
    if (c.combo) continue;
    const same = settingsKey(c.settings) === want;
    const finished = c.status === 'done' && c.frame !== null;
    if (same && finished) out.rendered.push(c);
    // A group's variants (asked for in the detail view) are not the gallery's images.
    if (c.variant !== 0 || c.settings.variants > 1) continue;
    if (same && c.channel >= shown) beyond.add(c.channel);
    if (finished) out.others.set(c.channel, c);
    else if (!same && pending && !out.others.has(c.channel)) out.others.set(c.channel, c);
  }
  out.beyond = [...beyond].sort((a, b) => a - b);
  out.classes = [...classes];
  return out;
}

/** What a band shows for one channel. */
export interface Slot {
  /** The card drawn: the current settings' render, or an image under other settings (`other`). */
  card: Card | undefined;
  other: boolean;
  /** The current settings' render, queued or started without an image yet, that will replace the one drawn. */
  next: Card | null;
}

/**
 * The slot of one channel, from the card under the band's current settings and the band's `others` entry: the current
 * render once it has an image (or failed); until then the finished image under other settings stays, marked, with the
 * render that will replace it as `next` — with background rendering on, a change of settings queues every card on
 * screen at once, and a slot that showed the queued card would blank the whole gallery for minutes.
 */
export function slotOf(current: Card | undefined, other: Card | undefined): Slot {
  const olderImage = other?.status === 'done' && other.frame !== null ? other : undefined;
  if (current && (current.frame !== null || current.status === 'failed' || !olderImage))
    return { card: current, other: false, next: null };
  if (olderImage) return { card: olderImage, other: true, next: current ?? null };
  return { card: other, other: Boolean(other), next: null };
}

/**
 * Each channel's last slot, handed out again while what it holds is the same. A band works its slots out again on
 * every change of its layer's cards, and a new slot object, even with the same cards, re-ran each of its card views.
 * The views depend on a slot by identity, so an unchanged one stops there (with the per-layer cards of
 * card-store.svelte.ts: Svelte's work on the page's main thread 1.0 -> 0.26 s per 20 s of the default gallery
 * rendering, BENCHMARKS.md, session 28).
 */
export class SlotMemo {
  private last = new Map<number, Slot>();

  /** `slot`, or the equal one this channel had before. */
  keep(channel: number, slot: Slot): Slot {
    const before = this.last.get(channel);
    if (before && before.card === slot.card && before.other === slot.other && before.next === slot.next) return before;
    this.last.set(channel, slot);
    return slot;
  }
}

/** "1 min 5 s" / "40 s"; time still left is never "0 s" (a band finishing in 0.4 s said "≈ 0 s left" beside its running cards). */
export function formatEta(ms: number): string {
  const s = Math.max(ms > 0 ? 1 : 0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

/**
 * The question asked before rendering a whole layer, with the time it would take at the measured ms per step (batches
 * of 8), or null when it is small enough (16 renders or fewer) to start without asking.
 */
export function wholeLayerQuestion(
  layer: string,
  channels: number,
  alreadyRendered: number,
  steps: number,
  msPerStep: number,
): string | null {
  const jobs = channels - alreadyRendered;
  if (jobs <= 16) return null;
  const minutes = msPerStep ? Math.round((Math.ceil(jobs / 8) * steps * msPerStep) / 60000) : null;
  const estimate =
    minutes !== null
      ? ` — ${minutes < 1 ? 'under a minute' : `about ${minutes} min`} at the measured ${msPerStep.toFixed(0)} ms/step`
      : '';
  return `Render all ${channels} channels of ${layer} (${jobs} not rendered yet)${estimate}?`;
}
