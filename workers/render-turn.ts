/**
 * One batch computes at a time in this browser, whichever tab it belongs to (a Web Lock taken per batch). Two tabs
 * rendering at once each ran their wasm threads on every core: twice the threads the machine has, spinning against
 * each other (measured: two tabs sharing 32 renders took 1.64× one tab's time; `npm run bench:tabs`). With turns they
 * alternate batch by batch, in the order they asked.
 *
 * A clicked batch does not wait behind another tab's background work: it takes the turn at once (`steal`), and the
 * batch that held it waits at its next step until the turn comes back — across tabs what a click does within one
 * (there the running batch is stopped and queued again; here it keeps its steps). A click waits its turn behind
 * another tab's click, as clicks do in one tab. Without a lock manager (Node) the turn is always free.
 */
import type { Locks } from './render-claims.ts';

const TURN = 'featurescope-render-turn';
/** Held beside the turn while the batch holding it is background work: what a click may take the turn from. */
const BACKGROUND = 'featurescope-render-turn-background';

export class RenderTurn {
  /** Lets the turn go while this worker holds it. */
  private release: (() => void) | null = null;
  /** Another tab took the turn from this worker's batch: it waits for it at its next step. */
  private taken = false;

  constructor(private readonly locks: Locks | null) {}

  /**
   * Waits for the turn; `urgent` (a click) takes it from another tab's background batch. A wait that `signal` aborts
   * ends without the turn (the batch is being cancelled: its next step stops it).
   */
  async take(urgent: boolean, signal?: AbortSignal): Promise<void> {
    const locks = this.locks;
    if (!locks || this.release || signal?.aborted) return;
    const steal = urgent && (await this.heldForBackground(locks));
    await new Promise<void>((granted) => {
      // The lock manager refuses a signal together with steal; a steal is granted at once anyway.
      const options: LockOptions = steal ? { steal: true } : { signal };
      locks
        .request(TURN, options, async () => {
          this.taken = false;
          const held = new Promise<void>((release) => (this.release = release));
          // Background work says so, with a second lock held as long as the turn: a click may take it from that.
          const marked = urgent ? null : locks.request(BACKGROUND, { ifAvailable: true }, () => held);
          granted();
          await held;
          await marked;
        })
        .catch(() => {
          // Aborted while waiting, or held and taken by another tab's click (its background mark goes too).
          if (this.release) this.taken = true;
          this.give();
          granted();
        });
    });
  }

  /** True when another tab's background batch holds the turn (or nobody does: a steal then simply takes it). */
  private async heldForBackground(locks: Locks): Promise<boolean> {
    try {
      const { held = [] } = await locks.query();
      return held.some((l) => l.name === BACKGROUND) || !held.some((l) => l.name === TURN);
    } catch {
      return false;
    }
  }

  /** Lets the turn go (the batch ended or is paused). */
  give(): void {
    const release = this.release;
    this.release = null;
    release?.();
  }

  /** True when another tab's click took the turn from this worker: its batch waits for the turn at its next step. */
  get lost(): boolean {
    return this.taken;
  }
}
