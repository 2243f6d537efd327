/** Node-only helpers: reading model packages and images from disk. */
import { open, readFile } from 'node:fs/promises';
import { dirname, join, basename, resolve, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
export { centreCrop } from '../engine/image-ops.ts';
import jpeg from 'jpeg-js';
import { decode as decodePng } from 'fast-png';
import { TooLargeError, type ReadFile } from '../engine/artifacts.ts';

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

/** Decodes a JPEG or PNG file into an RGB tensor [h, w, 3] in [0,1]. */
export async function readImage(path: string): Promise<tf.Tensor3D> {
  const buf = await readFile(path);
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  if (buf[0] === 0x89 && buf[1] === 0x50) {
    const png = decodePng(buf);
    if (png.depth !== 8) throw new Error(`${path}: only 8-bit PNGs are supported`);
    width = png.width;
    height = png.height;
    const ch = png.channels;
    const src = png.data as Uint8Array;
    rgba = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) {
      const g = ch <= 2;
      rgba[p * 4] = src[p * ch];
      rgba[p * 4 + 1] = g ? src[p * ch] : src[p * ch + 1];
      rgba[p * 4 + 2] = g ? src[p * ch] : src[p * ch + 2];
      rgba[p * 4 + 3] = 255;
    }
  } else if (buf[0] === 0xff && buf[1] === 0xd8) {
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true });
    width = img.width;
    height = img.height;
    rgba = img.data;
  } else {
    throw new Error(`${path}: not a PNG or JPEG image`);
  }
  return tf.tidy(() => {
    const t = tf.tensor3d(rgba, [height, width, 4], 'int32').slice([0, 0, 0], [height, width, 3]);
    return tf.div(tf.cast(t, 'float32'), 255) as tf.Tensor3D;
  });
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
