/**
 * Queue priorities for the studio's requests (the classes are `PRIORITY` in protocol.ts). Within the on-screen and
 * clicked classes the most recent request goes first — a band scrolled to, a card clicked, beats what was asked for
 * before. Bands that ask in the same moment (the page opening, a change of settings, a jump in the layer list) form one
 * look at the page: they go top-down among themselves, the way a person reads the gallery, whatever order their
 * observers fired in.
 */
import { PRIORITY } from '../protocol.ts';

/** Why a render was asked for: the background seed, a band on screen, or a person. */
export type RequestOrigin = 'background' | 'visible' | 'clicked';

/** Visible requests this close to the first of a look belong to it (observers of one frame fire within a few ms). */
export const LOOK_MS = 300;

export class RequestPriorities {
  private lookStart = -Infinity;

  /** `now`: a monotonic clock in ms (the page's, by default). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * The priority of a request. `depth` / `layers`: the layer's index in the model and the model's layer count (for
   * on-screen requests: the shallower band goes first within one look).
   */
  of(why: RequestOrigin, depth = 0, layers = 1): number {
    if (why === 'background') return PRIORITY.background;
    const t = this.now();
    if (why === 'clicked') return PRIORITY.clicked + t;
    if (t - this.lookStart > LOOK_MS) this.lookStart = t;
    // Inside (0, 1]: less than the gap to the next look, so a later look still goes first.
    return PRIORITY.visible + this.lookStart + 1 - depth / Math.max(layers, depth + 1);
  }
}
