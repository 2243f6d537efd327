/**
 * The scheduler's side of sharing renders with the studio's other tabs (render-claims.ts): which of a batch's renders
 * this worker claims, which wait because another tab has claimed them, and when a finished render's claim goes.
 */
import type { Job } from '../src/lib/protocol.ts';
import { claimName, RenderClaims } from './render-claims.ts';

/**
 * How long renders whose claim another tab let go wait before they queue again. The other tab lets go once it has
 * cached them, and this tab's page, told of the image by the cache's broadcast, then cancels them here (it shows the
 * cached image instead) — a message that can come just after the claim is free. Queued at once, the renders started
 * and were cancelled a few steps in (seen in a worker log of two tabs sharing 32 renders: batches of 1 and 4 renders
 * the other tab had just cached, started after its last batch; none with this wait). A claim let go without an image
 * (that tab cancelled, paused or closed) costs this tab this much delay.
 */
const ADOPTION_GRACE_MS = 300;

export class SharedRenders {
  /** A batch taken from the queue while its claims are asked for: a cancel meanwhile lands here. */
  private claiming: { ids: Set<string>; cancelled: Set<string> } | null = null;
  /** Renders another tab has claimed, by claim: waiting here until that tab lets go. */
  private readonly aside = new Map<string, Job[]>();
  /** Finished renders whose images the page has not yet said are cached, by claim: the claim is kept until then. */
  private readonly unwritten = new Map<string, Set<string>>();

  /** `freed`: renders set aside whose claim another tab let go, to queue again (a cancel took them if cached). */
  constructor(
    private readonly claims: RenderClaims,
    private readonly freed: (jobs: Job[]) => void,
  ) {}

  /**
   * Claims a batch's renders; those another tab holds are set aside until it lets go, and the rest are returned,
   * less any cancelled while the claims were asked for.
   */
  async claim(batch: Job[]): Promise<Job[]> {
    const byName = new Map<string, Job[]>();
    for (const j of batch) byName.set(claimName(j), [...(byName.get(claimName(j)) ?? []), j]);
    const claiming = { ids: new Set(batch.map((j) => j.id)), cancelled: new Set<string>() };
    this.claiming = claiming;
    const got = await Promise.all([...byName.keys()].map((name) => this.claims.claim(name)));
    this.claiming = null;
    const mine: Job[] = [];
    [...byName].forEach(([name, jobs], i) => {
      const live = jobs.filter((j) => !claiming.cancelled.has(j.id));
      if (got[i] && live.length) mine.push(...live);
      else if (got[i]) this.claims.release(name);
      else if (live.length) {
        this.aside.set(name, live);
        this.claims.watch(name, () =>
          setTimeout(() => {
            const jobs = this.aside.get(name);
            this.aside.delete(name);
            if (jobs?.length) this.freed(jobs);
          }, ADOPTION_GRACE_MS),
        );
      }
    });
    return mine;
  }

  /** Cancelled renders: no longer waited for, nor run if their claims are being asked for now. */
  cancel(ids: string[] | 'all') {
    const gone = (id: string) => ids === 'all' || ids.includes(id);
    if (this.claiming) for (const id of this.claiming.ids) if (gone(id)) this.claiming.cancelled.add(id);
    for (const [name, jobs] of this.aside) {
      const left = jobs.filter((j) => !gone(j.id));
      if (left.length) this.aside.set(name, left);
      else {
        this.aside.delete(name);
        this.claims.unwatch(name);
      }
    }
  }

  prioritize(ids: string[], priority: number) {
    for (const jobs of this.aside.values()) for (const j of jobs) if (ids.includes(j.id)) j.priority = priority;
  }

  /** True when the render waits for another tab. */
  has(id: string): boolean {
    for (const jobs of this.aside.values()) if (jobs.some((j) => j.id === id)) return true;
    return false;
  }

  /** Renders waiting for another tab (counted among the queued). */
  get elsewhere(): number {
    let n = 0;
    for (const jobs of this.aside.values()) n += jobs.length;
    return n;
  }

  /** A render finished here: its claim stays until the page has written its image (`written`). */
  finished(j: Job) {
    const name = claimName(j);
    this.unwritten.set(name, (this.unwritten.get(name) ?? new Set()).add(j.id));
  }

  /** The claims of renders that will not be cached from here (failed, cancelled, put back) go now. */
  settle(jobs: Job[]) {
    for (const j of jobs) if (!this.unwritten.has(claimName(j))) this.claims.release(claimName(j));
  }

  /** Lets these renders' claims go whatever their state (a pause: another tab may render them meanwhile). */
  letGo(jobs: Job[]) {
    for (const j of jobs) this.claims.release(claimName(j));
  }

  /** The page wrote these finished renders to the cache: a claim goes once all its renders are written. */
  written(ids: string[]) {
    for (const [name, left] of this.unwritten) {
      for (const id of ids) left.delete(id);
      if (left.size) continue;
      this.unwritten.delete(name);
      this.claims.release(name);
    }
  }
}
