/**
 * The files of a feature inversion, one schema for the studio's ZIP and `npm run invert`: photo.png (the photo at the
 * images' size), one PNG per layer with its description in a tEXt chunk, and manifest.json.
 */
import { strToU8 } from 'fflate';
import { safeName } from './file-names.ts';
import { encodePng } from './png.ts';

export const INVERSION_FORMAT = 'featurescope-inversion/1';

export interface InversionExport {
  model: string;
  photo: string;
  settings: { size: number; steps: number; seed: number };
  /** The step the images are from (settings.steps unless the inversion was stopped). */
  step: number;
  layers: string[];
  /** One RGBA image per layer, width × height. */
  images: Uint8Array[];
  width: number;
  height: number;
  /** Each image's likeness to the photo at its layer. */
  likeness: number[];
  /** The photo as RGB bytes at width × height, when the caller has it. */
  photoRgb?: Uint8Array;
  /** Anything else for the manifest (the CLI's seconds). */
  extra?: Record<string, unknown>;
}

/** A layer's file name: its name with path separators and other odd characters made safe. */
export const inversionFileName = (layer: string) => `${safeName(layer)}.png`;

export function inversionFiles(x: InversionExport): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  if (x.photoRgb) files['photo.png'] = encodePng(x.photoRgb, x.width, x.height, undefined, 3);
  const { model, photo, settings, step } = x;
  x.layers.forEach((layer, i) => {
    const meta = { format: INVERSION_FORMAT, model, photo, layer, settings, step };
    files[inversionFileName(layer)] = encodePng(x.images[i], x.width, x.height, meta);
  });
  const manifest = {
    format: INVERSION_FORMAT,
    model,
    photo,
    settings,
    step,
    layers: x.layers.map((layer, i) => ({ layer, file: inversionFileName(layer), likeness: x.likeness[i] })),
    ...x.extra,
  };
  files['manifest.json'] = strToU8(JSON.stringify(manifest, null, 2));
  return files;
}
