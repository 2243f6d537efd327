/**
 * Claims on renders, shared by every tab of the studio in one browser (Web Locks, one lock per render — per group for
 * a group of variants, which runs as one). Tabs on the same model ask for the same renders in the same order; without
 * claims each rendered every image and threw away whichever the other tab cached first. A worker claims a render when
 * it takes it into a batch and holds the claim until the page says the image is in the cache (`release`), so the
 * other tab sets it aside, is told when the claim goes (finished and cached, cancelled, or the tab closed: a worker's
 * locks go with it), and by then has the image from the cache — or renders it itself.
 *
 * Without a lock manager (Node: the CLI, the tests) every claim succeeds.
 */
import { groupKey, type Job } from '../src/lib/protocol.ts';

/** The Web Locks API as the claims use it (navigator.locks; a fake in the unit tests). */
export type Locks = Pick<LockManager, 'request' | 'query'>;

const PREFIX = 'featurescope-render:';

/** The claim a job is rendered under: its own, or its group's when it is one of several variants (groupKey). */
export const claimName = (j: Job): string => PREFIX + groupKey(j);

export class RenderClaims {
  /** Claims held here, each with what lets it go. */
  private readonly held = new Map<string, () => void>();
  /** Claims held elsewhere that this worker waits on, each with what stops the wait. */
  private readonly watched = new Map<string, AbortController>();

  constructor(private readonly locks: Locks | null) {}

  /** Claims `name` if no other tab holds it: true when this worker holds it now (or nothing can be claimed). */
  claim(name: string): Promise<boolean> {
    const locks = this.locks;
    if (!locks || this.held.has(name)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      locks
        .request(name, { ifAvailable: true }, (lock) => {
          if (!lock) return resolve(false);
          // Held until release(): the callback's promise is the lock's lifetime.
          const kept = new Promise<void>((release) => this.held.set(name, release));
          resolve(true);
          return kept;
        })
        .catch(() => resolve(true));
    });
  }

  /** Lets a claim go (the image is cached, the render failed or was cancelled); nothing when it is not held here. */
  release(name: string): void {
    const letGo = this.held.get(name);
    this.held.delete(name);
    letGo?.();
  }

  /**
   * Calls `freed` once the claim `name`, held by another tab, is let go (that tab cached the image, stopped, or closed);
   * the wait ends without a call on `unwatch`.
   */
  watch(name: string, freed: () => void): void {
    if (!this.locks || this.watched.has(name)) return;
    const stop = new AbortController();
    this.watched.set(name, stop);
    // Granted when the other tab lets go; released at once (an empty callback), so that the render is claimed anew.
    this.locks
      .request(name, { signal: stop.signal }, () => undefined)
      .then(
        () => {
          if (this.watched.get(name) !== stop) return;
          this.watched.delete(name);
          freed();
        },
        () => undefined,
      );
  }

  unwatch(name: string): void {
    this.watched.get(name)?.abort();
    this.watched.delete(name);
  }
}
