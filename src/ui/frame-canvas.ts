/** A render's RGBA frame drawn into a canvas: once, or kept drawn as a Svelte action (`use:frameThumb={frame}`). */
import type { Frame } from '../lib/studio/cards.ts';

type Pixels = Pick<Frame, 'width' | 'height' | 'rgba'>;

export function drawFrame(canvas: HTMLCanvasElement, f: Pixels) {
  canvas.width = f.width;
  canvas.height = f.height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(f.rgba), f.width, f.height), 0, 0);
}

/** Draws the frame, and each newer frame it is given; a missing frame leaves the canvas as it was. */
export function frameThumb(node: HTMLCanvasElement, frame: Pixels | null | undefined) {
  const draw = (f: Pixels | null | undefined) => f && drawFrame(node, f);
  draw(frame);
  return { update: draw };
}
