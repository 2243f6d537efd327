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
 *
 * The worker's other computing work (the photo lab, a photo explained, dataset examples) runs in the turn too
 * (`during`): it takes the turn from another tab's background batch as a click does; beside this worker's own batch it
 * simply runs (they share the thread); it waits for another tab's click batch at most OTHER_WORK_WAIT_MS, then runs
 * anyway; and it holds the turn as background work does, so that another tab's click takes it at once (the photo work
 * goes on beside that click — a summary of many photos can take long). A person waiting on the photo lab, and the
 * set-up work queued behind it in the worker (a model load), are not held up by a long render elsewhere, nor is a
 * click elsewhere by the photo work.
 */
import type { Locks } from './render-claims.ts';

const TURN = 'featurescope-render-turn';
/** Held beside the turn while the batch holding it is background work: what a click may take the turn from. */
const BACKGROUND = 'featurescope-render-turn-background';
/** How long other work waits for another tab's click batch before it runs beside it. */
export const OTHER_WORK_WAIT_MS = 1500;

/** Settles when `p` does, or as soon as `signal` aborts. */
function untilAborted(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return p;
  return new Promise<void>((done) => {
    if (signal.aborted) return done();
    signal.addEventListener('abort', () => done(), { once: true });
    p.then(done, done);
  });
}

export class RenderTurn {
  /** Lets the turn go while this worker holds it. */
  private release: (() => void) | null = null;
  /** Another tab took the turn from this worker's batch: it waits for it at its next step. */
  private taken = false;
  /** This worker's batch holds the turn (take ... give). */
  private batch = false;
  /** Other work running in the turn (`during`): the turn goes when neither it nor the batch holds it. */
  private others = 0;
  /** The one request for the turn this worker has out: the batch and other work wait on the same one. */
  private asking: Promise<void> | null = null;
  /** Settles when the turn this worker holds goes. */
  private held: Promise<void> | null = null;
  /** Ends the background mark held beside the turn (null: none held). */
  private unmark: (() => void) | null = null;
  /** Settles when the background mark is let go. */
  private marked: Promise<unknown> | null = null;

  constructor(private readonly locks: Locks | null) {}

  /**
   * Waits for the turn; `urgent` (a click) takes it from another tab's background batch. A wait that `signal` aborts
   * ends without the turn (the batch is being cancelled: its next step stops it).
   */
  async take(urgent: boolean, signal?: AbortSignal): Promise<void> {
    if (this.locks) await this.obtain(this.locks, urgent, !urgent, signal);
    if (this.release) this.batch = true;
    // Held already for background work, and a click of this tab runs in it now (scheduler.ts: the background batch
    // waits for it): another tab's click no longer takes it.
    const unmark = urgent ? this.unmark : null;
    if (unmark) {
      unmark();
      await this.marked;
    }
  }

  /**
   * The batch now running in the turn held here is background work again (the click it waited for is done). A request
   * for the turn waiting meanwhile (another tab's click, or batch, asked while the click ran) gets it now, as it would
   * have had this tab's click taken the turn afresh; the batch waits for it at its next step. Otherwise another tab's
   * click may take the turn from it, as from any background batch.
   */
  async backgroundAgain(): Promise<void> {
    const locks = this.locks;
    if (!locks || !this.held) return;
    let waiting = false;
    try {
      waiting = (await locks.query()).pending?.some((l) => l.name === TURN) ?? false;
    } catch {
      /* as if nobody waited */
    }
    if (!this.held) return;
    if (waiting && !this.others) {
      this.taken = true;
      this.give();
    } else if (!this.unmark) this.mark(locks, this.held);
  }

  /** Holds the background mark beside the turn until `held` settles or `unmark` is called. */
  private mark(locks: Locks, held: Promise<void>): Promise<unknown> {
    let unmark!: () => void;
    const unmarked = new Promise<void>((done) => (this.unmark = unmark = done));
    // Only this mark's: a later one (the turn held again) keeps its own.
    const gone = () => {
      if (this.unmark === unmark) this.unmark = null;
    };
    this.marked = locks.request(BACKGROUND, { ifAvailable: true }, () => Promise.race([held, unmarked])).then(gone, gone);
    return this.marked;
  }

  /**
   * Runs other computing work (not a render batch) in the turn, as a click does; waits for the turn at most
   * OTHER_WORK_WAIT_MS (see above).
   */
  async during<T>(work: () => Promise<T>): Promise<T> {
    const locks = this.locks;
    if (!locks) return work();
    this.others++;
    try {
      const stop = new AbortController();
      const timer = setTimeout(() => stop.abort(), OTHER_WORK_WAIT_MS);
      await this.obtain(locks, true, true, stop.signal);
      clearTimeout(timer);
      return await work();
    } finally {
      this.others--;
      if (!this.others && !this.batch) this.letGo();
    }
  }

  /**
   * Until this worker holds the turn or `signal` aborts; waits on a request already out rather than asking twice.
   * `steal`: from another tab's background work; `yielding`: held as background work (a click may take it).
   */
  private async obtain(locks: Locks, steal: boolean, yielding: boolean, signal?: AbortSignal): Promise<void> {
    while (!this.release && !signal?.aborted) {
      if (this.asking) {
        await untilAborted(this.asking, signal);
        continue;
      }
      this.asking = this.request(locks, steal, yielding, signal).finally(() => (this.asking = null));
      return this.asking;
    }
  }

  /** One request for the turn; settles when granted, aborted, or granted and at once taken by another tab. */
  private async request(locks: Locks, stealing: boolean, yielding: boolean, signal?: AbortSignal): Promise<void> {
    const steal = stealing && (await this.heldForBackground(locks));
    await new Promise<void>((granted) => {
      // The lock manager refuses a signal together with steal; a steal is granted at once anyway.
      const options: LockOptions = steal ? { steal: true } : { signal };
      locks
        .request(TURN, options, async () => {
          this.taken = false;
          const held = new Promise<void>((release) => (this.release = release));
          this.held = held;
          // Background work says so, with a second lock held as long as the turn: a click may take it from that.
          const marked = yielding ? this.mark(locks, held) : null;
          granted();
          await held;
          await marked;
        })
        .catch(() => {
          // Aborted while waiting, or held and taken by another tab's click (its background mark goes too): the
          // batch waits for the turn at its next step, other work runs on.
          if (this.release) this.taken = true;
          this.batch = false;
          this.letGo();
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

  /** The batch lets the turn go (it ended or is paused); other work still running keeps it until it ends. */
  give(): void {
    this.batch = false;
    if (!this.others) this.letGo();
  }

  private letGo(): void {
    const release = this.release;
    this.release = null;
    this.held = null;
    release?.();
  }

  /** True when another tab's click took the turn from this worker: its batch waits for the turn at its next step. */
  get lost(): boolean {
    return this.taken;
  }
}
