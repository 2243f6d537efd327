/** A render's RGBA frame drawn into a canvas: once, or kept drawn as a Svelte action (`use:frameThumb={frame}`). */
import type { Frame } from '../lib/studio/cards.ts';

type Pixels = Pick<Frame, 'width' | 'height' | 'rgba'>;

/**
 * The frame each canvas shows. A card's view re-runs whenever its card object is replaced (any change of the card:
 * started, done, a curve), mostly with the frame it already drew. Redrawing it took 0.33 s of the page's main thread
 * per 14 s of batches beside the helper engines (BENCHMARKS.md, session 28), CPU the renders lost on two cores.
 */
const shown = new WeakMap<HTMLCanvasElement, Pixels>();

export function drawFrame(canvas: HTMLCanvasElement, f: Pixels) {
  if (shown.get(canvas) === f && canvas.width === f.width && canvas.height === f.height) return;
  canvas.width = f.width;
  canvas.height = f.height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(f.rgba), f.width, f.height), 0, 0);
  shown.set(canvas, f);
}

/** Draws the frame, and each newer frame it is given; a missing frame leaves the canvas as it was. */
export function frameThumb(node: HTMLCanvasElement, frame: Pixels | null | undefined) {
  const draw = (f: Pixels | null | undefined) => f && drawFrame(node, f);
  draw(frame);
  return { update: draw };
}
