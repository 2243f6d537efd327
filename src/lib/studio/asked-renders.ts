/**
 * What a person asked for outlives a reload: the renders they asked for (a click, a range, a whole layer, a class) that
 * had not finished, or whose image was still being written to the cache, are written to the tab's sessionStorage as the
 * page goes away, and asked for again once their model is back on screen (what finished meanwhile comes from the
 * cache, not from a new render). The gallery's own background and on-screen requests are not kept — the bands ask for
 * those again themselves — and neither are composed objectives (the detail view asks for those). sessionStorage
 * belongs to the tab: a reload keeps the list, a new tab or the next day's visit does not start an old queue. Where
 * storage is unavailable nothing is kept.
 */
import type { Job, JobSettings } from '../protocol.ts';

export const ASKED_KEY = 'featurescope:asked';

/** One request to make again: channels of one layer under one setting, with their variants. */
export interface AskedAgain {
  layer: string;
  channels: number[];
  settings: JobSettings;
  variants: number;
}

interface Kept {
  modelKey: string;
  layer: string;
  channel: number;
  variant: number;
  settings: JobSettings;
}

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function session(): Store | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

export class AskedRenders {
  constructor(private readonly store: Store | null = session()) {}

  /** Keeps the jobs a person asked for and has not safely got (JobBook.unsafeByPerson), replacing what was kept. */
  save(jobs: Iterable<Job>): void {
    const kept: Kept[] = [];
    for (const j of jobs)
      if (!j.combo)
        kept.push({ modelKey: j.modelId, layer: j.layer, channel: j.channel, variant: j.variant, settings: j.settings });
    try {
      if (kept.length) this.store?.setItem(ASKED_KEY, JSON.stringify(kept));
      else this.store?.removeItem(ASKED_KEY);
    } catch {
      /* not kept: a reload starts with an empty queue, as before */
    }
  }

  /**
   * Takes the kept requests of model `modelKey` (they are asked for once: taken, they leave the store), grouped into
   * one request per layer and settings; a channel asked with several variants is asked with as many again.
   */
  take(modelKey: string): AskedAgain[] {
    let kept: Kept[];
    try {
      const raw = this.store?.getItem(ASKED_KEY);
      kept = raw ? (JSON.parse(raw) as Kept[]) : [];
    } catch {
      return [];
    }
    if (!Array.isArray(kept)) return [];
    const whole = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
    const mine = kept.filter(
      (k) => k?.modelKey === modelKey && typeof k.layer === 'string' && k.settings && whole(k.channel) && whole(k.variant),
    );
    const rest = kept.filter((k) => !mine.includes(k));
    try {
      if (rest.length) this.store?.setItem(ASKED_KEY, JSON.stringify(rest));
      else this.store?.removeItem(ASKED_KEY);
    } catch {
      /* asked for again on the next reload too: cached ones are not rendered twice */
    }
    const groups = new Map<string, { layer: string; settings: JobSettings; byChannel: Map<number, number> }>();
    for (const k of mine) {
      const id = JSON.stringify([k.layer, k.settings]);
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { layer: k.layer, settings: k.settings, byChannel: new Map() }));
      g.byChannel.set(k.channel, Math.max(g.byChannel.get(k.channel) ?? 0, k.variant + 1));
    }
    // One request per layer, settings and variant count (RenderRequests.request asks variants 0…n-1 of each channel).
    const out: AskedAgain[] = [];
    for (const g of groups.values()) {
      const byVariants = new Map<number, number[]>();
      for (const [channel, n] of g.byChannel) byVariants.set(n, [...(byVariants.get(n) ?? []), channel]);
      for (const [variants, channels] of byVariants)
        out.push({ layer: g.layer, settings: g.settings, variants, channels: channels.sort((a, b) => a - b) });
    }
    return out;
  }
}
