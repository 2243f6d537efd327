/** PNG encoding with the render settings stored in a text chunk (DOM-free: worker, Node). */
import { decode, encode } from 'fast-png';

/** Key of the PNG tEXt chunk that holds the JSON settings of a rendered image. */
export const SETTINGS_KEY = 'featurescope';

/**
 * JSON in plain ASCII: every character past ASCII as a \uXXXX escape. A tEXt chunk holds Latin-1 only, and a model
 * or layer named in Cyrillic or CJK must not stop an image from being written; JSON.parse reads the escapes back.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function encodePng(rgba: Uint8Array, width: number, height: number, meta?: unknown, channels: 3 | 4 = 4): Uint8Array {
  const text = meta === undefined ? undefined : { [SETTINGS_KEY]: asciiJson(meta) };
  return encode({ width, height, data: rgba, channels, depth: 8, text });
}

/**
 * A render's history frame (the detail view's slider) as a PNG stored without deflate. A render's pixels are noisy:
 * deflate made a 128 px frame 21 % smaller (65.7 → 51.8 kB) for 2.6 ms of the page's main thread against 0.8 ms stored,
 * and a finished card wrote six such frames while the gallery went on rendering (BENCHMARKS.md, session 28). Any PNG
 * reader reads it; the final image keeps deflate (it is what exports carry).
 */
export function encodeFramePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  return encode({ width, height, data: rgba, channels: 4, depth: 8 }, { zlib: { level: 0 } });
}

/** Reads back the settings stored by encodePng, or null when the PNG carries none. */
export function readPngMeta(png: Uint8Array): unknown {
  const text = decode(png).text?.[SETTINGS_KEY];
  return text === undefined ? null : JSON.parse(text);
}
