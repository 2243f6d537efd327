/**
 * The modal views open now, in the order they opened. The page behind an open modal is inert and dimmed, so the
 * studio's notices (errors, "worker crashed", "cache cleared") show inside the topmost one instead of behind it.
 */
let open = $state<number[]>([]);
let last = 0;

export const modalStack = {
  /** The topmost open modal's id, or null when none is open. */
  get top(): number | null {
    return open.at(-1) ?? null;
  },
  push(): number {
    const id = ++last;
    open = [...open, id];
    return id;
  },
  remove(id: number) {
    open = open.filter((x) => x !== id);
  },
};

/** Context key under which the page hands its notices (a snippet) to the modal views. */
export const NOTICES = Symbol('notices');
