/** Node-only helpers: reading model packages and images from disk. */
import { open, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, basename, resolve, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { centreCrop } from '../engine/image-ops.ts';
export { centreCrop };
import decodeJpeg, { init as initJpeg } from '@jsquash/jpeg/decode.js';
import { decode as decodePng } from 'fast-png';
import type { ReadFile } from '../engine/artifacts.ts';
import { TooLargeError } from '../engine/errors.ts';
import { encodePng } from '../export/png.ts';
import { UsageError } from './usage-error.ts';

/**
 * A ReadFile rooted at the folder of `modelJsonPath`; returns the reader and the file name inside it. It reads only
 * regular files inside that folder, and none longer than the caller's limit (checked before reading).
 */
export function fileReader(modelJsonPath: string): { read: ReadFile; entry: string } {
  const dir = resolve(dirname(modelJsonPath));
  const read: ReadFile = async (rel, maxBytes) => {
    const path = resolve(dir, rel);
    if (!path.startsWith(dir + sep)) throw new Error(`${rel} is outside the model's folder`);
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new Error(`${rel} is not a regular file`);
      if (maxBytes !== undefined && st.size > maxBytes) throw new TooLargeError(`${st.size} bytes, more than ${maxBytes}`);
      const buf = await fh.readFile();
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    } finally {
      await fh.close();
    }
  };
  return { read, entry: basename(modelJsonPath) };
}

/**
 * JPEG decoding through mozjpeg compiled to wasm (@jsquash/jpeg): about 5× faster than a JavaScript decoder on this
 * machine (a 2951 px photo in 0.15 s instead of 0.78 s), which is most of the examples CLI's time. Its wasm is
 * compiled once, from the package's own file.
 */
let jpegReady: Promise<void> | null = null;
function jpegDecoder(): Promise<void> {
  jpegReady ??= (async () => {
    const file = createRequire(import.meta.url).resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm');
    await initJpeg(await WebAssembly.compile(await readFile(file)));
  })();
  return jpegReady;
}

/** A decoded photo: 8-bit RGB, row by row (grey repeated, alpha dropped). */
export interface Pixels {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/**
 * An 8-bit RGB PNG of a box of a photo, copied from its decoded bytes. (Slicing a photo tensor instead cost a copy of
 * the whole photo per crop on wasm, whose slice kernel reads its input out of the heap: 0.2 s for a 2951 px photo.)
 */
export function cropPng(photo: Pixels, b: { x: number; y: number; width: number; height: number }): Uint8Array {
  // The bounds tf.slice checked when crops came from a tensor: a box outside the photo is a caller's error, not a
  // crop padded with black.
  if (b.x < 0 || b.y < 0 || b.width < 1 || b.height < 1 || b.x + b.width > photo.width || b.y + b.height > photo.height) {
    throw new RangeError(
      `crop ${b.width}×${b.height} at (${b.x}, ${b.y}) is not inside the ${photo.width}×${photo.height} photo`,
    );
  }
  const out = new Uint8Array(b.width * b.height * 3);
  for (let r = 0; r < b.height; r++) {
    const from = ((b.y + r) * photo.width + b.x) * 3;
    out.set(photo.rgb.subarray(from, from + b.width * 3), r * b.width * 3);
  }
  return encodePng(out, b.width, b.height, undefined, 3);
}

/** Decodes a JPEG or PNG file into 8-bit RGB. */
export async function readPixels(path: string): Promise<Pixels> {
  const buf = await readFile(path);
  let width: number;
  let height: number;
  /** Source bytes and their channels per pixel (1–2: grey, with alpha; 3–4: colour, with alpha). */
  let src: Uint8Array | Uint8ClampedArray;
  let ch: number;
  if (buf[0] === 0x89 && buf[1] === 0x50) {
    const png = decodePng(buf);
    if (png.depth !== 8) throw new Error(`${path}: only 8-bit PNGs are supported`);
    ({ width, height } = png);
    ch = png.channels;
    src = png.data as Uint8Array;
  } else if (buf[0] === 0xff && buf[1] === 0xd8) {
    await jpegDecoder();
    let img: ImageData;
    try {
      img = await decodeJpeg(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    } catch (e) {
      throw new Error(`${path}: the JPEG could not be decoded (${(e as Error).message})`, { cause: e });
    }
    ({ width, height } = img);
    ch = 4;
    src = img.data;
  } else {
    throw new Error(`${path}: not a PNG or JPEG image`);
  }
  const rgb = new Uint8Array(width * height * 3);
  const grey = ch <= 2;
  for (let p = 0, o = 0; p < width * height; p++, o += 3) {
    const i = p * ch;
    rgb[o] = src[i];
    rgb[o + 1] = src[grey ? i : i + 1];
    rgb[o + 2] = src[grey ? i : i + 2];
  }
  return { width, height, rgb };
}

/** Decodes a JPEG or PNG file into an RGB tensor [h, w, 3] in [0,1]. */
export async function readImage(path: string): Promise<tf.Tensor3D> {
  return imageFromPixels(await readPixels(path));
}

/**
 * A command's --photo as the network sees it: decoded, its centre square resized to side × side ([1, side, side, 3]).
 * A file that is not a readable image is the person's mistake (a usage error).
 */
export async function readPhotoOption(path: string, side: number): Promise<tf.Tensor4D> {
  let photo: tf.Tensor3D;
  try {
    photo = await readImage(path);
  } catch (e) {
    throw new UsageError(`--photo: ${(e as Error).message}`);
  }
  try {
    return centreCrop(photo, side);
  } finally {
    photo.dispose();
  }
}

/** A decoded photo as an RGB tensor [h, w, 3] in [0,1]. */
export function imageFromPixels({ width, height, rgb }: Pixels): tf.Tensor3D {
  // [0,1] in one pass here: building it with tensor ops (int32, cast, divide) cost 5× the decode.
  const unit = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) unit[i] = rgb[i] / 255;
  return tf.tensor3d(unit, [height, width, 3]);
}

/** The same package loaded by tfjs-layers itself: the reference the plain-op network is compared and timed against. */
export async function loadLayersReference(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const paths: string[] = json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths);
  const data = Buffer.concat(await Promise.all(paths.map((p) => readFile(join(dir, p)))));
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights),
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
    }),
  );
}
