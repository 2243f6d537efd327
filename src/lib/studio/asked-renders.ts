/**
 * What a person asked for outlives a reload: the renders they asked for (a click, a range, a whole layer, a class) that
 * had not finished, or whose image was still being written to the cache, are written to the tab's sessionStorage as the
 * page goes away, and asked for again once their model is back on screen (what finished meanwhile comes from the
 * cache, not from a new render). The gallery's own background and on-screen requests are not kept — the bands ask for
 * those again themselves — and neither are composed objectives (the detail view asks for those). sessionStorage
 * belongs to the tab: a reload keeps the list, a new tab or the next day's visit does not start an old queue. A pause
 * is kept the same way: the reloaded tab starts paused, its kept renders waiting. Where storage is unavailable nothing
 * is kept.
 */
import type { Job, JobSettings } from '../protocol.ts';
import { checkJobSettings } from '../settings.ts';

export const ASKED_KEY = 'featurescope:asked';
/** Set while the person's pause holds: a reload of the tab starts paused, with the renders kept above waiting. */
export const PAUSED_KEY = 'featurescope:paused';

/** One request to make again: channels of one layer under one setting (a group's settings ask for all its images). */
export interface AskedAgain {
  layer: string;
  channels: number[];
  settings: JobSettings;
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

  /** Keeps the person's pause (or its absence) for the tab's next page. */
  savePause(paused: boolean): void {
    try {
      if (paused) this.store?.setItem(PAUSED_KEY, '1');
      else this.store?.removeItem(PAUSED_KEY);
    } catch {
      /* not kept: the next page starts running, as before */
    }
  }

  /** Whether the tab's page before this one was paused when it went away (asked once: taken, it leaves the store). */
  takePause(): boolean {
    try {
      const paused = this.store?.getItem(PAUSED_KEY) === '1';
      this.store?.removeItem(PAUSED_KEY);
      return paused;
    } catch {
      return false;
    }
  }

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
   * one request per layer and settings; a variant of a group asks for its group again (the cached ones are not
   * rendered twice).
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
    const out = new Map<string, AskedAgain>();
    for (const k of mine) {
      let settings: JobSettings;
      try {
        // Written by an older page (no group size) or damaged: the one written form, or dropped.
        settings = checkJobSettings(k.settings);
      } catch {
        continue;
      }
      const id = JSON.stringify([k.layer, settings]);
      let g = out.get(id);
      if (!g) out.set(id, (g = { layer: k.layer, settings, channels: [] }));
      if (!g.channels.includes(k.channel)) g.channels.push(k.channel);
    }
    for (const g of out.values()) g.channels.sort((a, b) => a - b);
    return [...out.values()];
  }
}
