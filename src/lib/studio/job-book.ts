/**
 * The studio's record of the jobs it sent: which are unfinished (sent again to a fresh worker), which channels a
 * person clicked (they keep their priority when a band scrolls away), and how often a job was running when the
 * worker crashed (a job that keeps killing it is failed, not retried without end). Plain bookkeeping: nothing here
 * is shown, so nothing here is reactive.
 */
import type { Job } from '../protocol.ts';

/** A job that was running when the worker crashed this many times is failed, not retried. */
export const JOB_CRASH_LIMIT = 2;

export class JobBook {
  readonly outstanding = new Map<string, Job>();
  private readonly clicked = new Set<string>();
  private readonly crashes = new Map<string, number>();
  /** Why each job was first asked for: a band leaving the screen drops the jobs only being on screen asked for. */
  private readonly origins = new Map<string, 'background' | 'visible' | 'clicked'>();
  /** Finished jobs a person asked for whose image is being written to the cache. */
  private readonly writing = new Map<string, Job>();

  add(job: Job, origin: 'background' | 'visible' | 'clicked' = 'clicked') {
    this.outstanding.set(job.id, job);
    this.crashes.delete(job.id);
    this.origins.set(job.id, origin);
  }

  originOf(id: string): 'background' | 'visible' | 'clicked' | undefined {
    return this.origins.get(id);
  }

  /**
   * A job left the book; `writing`: it finished and its image is being written to the cache, where a page that goes
   * meanwhile would lose it (see unsafeByPerson).
   */
  finished(id: string, writing = false) {
    const job = this.outstanding.get(id);
    if (writing && job && this.byPerson(job)) this.writing.set(id, job);
    this.outstanding.delete(id);
    this.crashes.delete(id);
    this.origins.delete(id);
  }

  click(layer: string, channel: number) {
    this.clicked.add(`${layer}|${channel}`);
  }

  wasClicked(layer: string, channel: number): boolean {
    return this.clicked.has(`${layer}|${channel}`);
  }

  /** The finished job's image is in the cache (or could not be written: it was said then). */
  written(id: string) {
    this.writing.delete(id);
  }

  /** Jobs a person asked for that a reload now would lose: unfinished, or finished and not yet in the cache. */
  unsafeByPerson(): Job[] {
    return [...[...this.outstanding.values()].filter((j) => this.byPerson(j)), ...this.writing.values()];
  }

  /** Whether a person asked for this job (a click, a range, a whole layer, a class), not the gallery. */
  byPerson(j: Job): boolean {
    return this.originOf(j.id) === 'clicked' || this.wasClicked(j.layer, j.channel);
  }

  /** The worker died while `id` ran: true when the job has now used up its retries (and leaves the book). */
  crashedDuring(id: string): boolean {
    const n = (this.crashes.get(id) ?? 0) + 1;
    this.crashes.set(id, n);
    if (n < JOB_CRASH_LIMIT) return false;
    this.outstanding.delete(id);
    return true;
  }

  clear() {
    this.outstanding.clear();
  }
}
