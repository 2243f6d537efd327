/**
 * A card's image as it leaves the studio (a download, the layer ZIP, the cache): PNG bytes with the settings chunk,
 * and the metadata stored with it — one schema with the CLI's (image-meta.ts).
 */
import { imageMeta, type ImageMeta } from '../export/image-meta.ts';
import { encodePng } from '../export/png.ts';
import type { Card, Frame } from './cards.ts';

/** What is stored with `frame` of a card of `model` (the final image when `frame` is the last step or none). */
export function cardMeta(model: string, c: Card, frame: Frame | null = c.frame): ImageMeta {
  const final = !frame || frame.step === c.settings.steps;
  return imageMeta({
    model,
    layer: c.layer,
    channel: c.channel,
    variant: c.variant,
    step: frame?.step ?? c.settings.steps,
    value: final ? c.value : frame.value,
    backend: c.backend,
    settings: c.settings,
    combo: c.combo,
  });
}

export function cardPng(model: string, c: Card, frame: Frame | null = c.frame): Uint8Array {
  if (!frame) throw new Error('nothing rendered yet');
  const rgba = new Uint8Array(frame.rgba.buffer, frame.rgba.byteOffset, frame.rgba.byteLength);
  return encodePng(rgba, frame.width, frame.height, cardMeta(model, c, frame));
}
