/**
 * Reading a TensorFlow.js model package (model.json + weight files) into named constant tensors.
 * The engine never touches the file system or the network itself: the caller supplies `readFile`.
 */
import * as tf from '@tensorflow/tfjs';
import { ContentHash } from './content-hash.ts';
import { ModelLoadError, TooLargeError } from './errors.ts';
import { readWeightFiles } from './weight-files.ts';

/**
 * Reads a file of the package by its path relative to model.json. `maxBytes`: the most the caller will accept; a
 * reader refuses a longer file without reading it all (the manifest says how long weight files are).
 */
export type ReadFile = (relativePath: string, maxBytes?: number) => Promise<ArrayBuffer>;

/** model.json itself may not be larger than this. */
export const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

/**
 * A weight path from a manifest, checked: relative, inside the model's folder (no "..", no absolute path, no URL
 * scheme, no NUL). Returns the path with "./" segments removed.
 */
export function safeWeightPath(p: unknown): string {
  if (typeof p !== 'string' || !p.length) throw new ModelLoadError(`weight path ${JSON.stringify(p)} is not a file name`);
  const bad = () =>
    new ModelLoadError(`weight path ${JSON.stringify(p)} leaves the model's folder: only files next to model.json are read`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(p) || p.startsWith('/') || p.startsWith('\\') || p.includes('\0') || p.includes('\\'))
    throw bad();
  const parts = p.split('/').filter((x) => x !== '.' && x !== '');
  if (!parts.length || parts.some((x) => x === '..')) throw bad();
  return parts.join('/');
}

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

export interface WeightGroup {
  paths: string[];
  weights: WeightEntry[];
}

export interface ModelJson {
  format?: string;
  modelTopology: Record<string, unknown>;
  weightsManifest: WeightGroup[];
}

export interface ModelArtifacts {
  json: ModelJson;
  weights: tf.NamedTensorMap;
  /** Hash of the topology and the weight bytes (see content-hash.ts). */
  hash: string;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function entryBytes(w: WeightEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const dtype = w.quantization?.dtype ?? w.dtype;
  const per = BYTES[dtype];
  if (per === undefined) throw new ModelLoadError(`weight ${w.name}: unsupported dtype ${dtype}`);
  return n * per;
}

export function parseModelJson(text: string, source = 'model.json'): ModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const j = json as Partial<ModelJson>;
  if (!j || typeof j !== 'object' || !j.modelTopology || typeof j.modelTopology !== 'object') {
    throw new ModelLoadError(`${source}: no modelTopology (is this a TensorFlow.js model.json?)`);
  }
  if (!Array.isArray(j.weightsManifest)) {
    throw new ModelLoadError(`${source}: no weightsManifest (is this a TensorFlow.js model.json?)`);
  }
  return j as ModelJson;
}

/** Weights larger than this are refused before anything is allocated (override with `maxWeightBytes`). */
export const DEFAULT_MAX_WEIGHT_BYTES = 1024 * 1024 * 1024;

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** A package's model.json and the bytes of each weight group, checked against the manifest; no tensors yet. */
export interface PackageBytes {
  json: ModelJson;
  groups: Uint8Array[];
}

/**
 * Reads model.json and every weight file it lists and checks the byte counts. TensorFlow.js-free work: the worker
 * starts it as soon as a model is asked for, while its backend is still starting.
 */
export async function readPackage(
  readFile: ReadFile,
  modelPath = 'model.json',
  maxWeightBytes = DEFAULT_MAX_WEIGHT_BYTES,
): Promise<PackageBytes> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readFile(modelPath, MAX_MODEL_JSON_BYTES));
  } catch (e) {
    throw new ModelLoadError(`${modelPath}: cannot be read (${(e as Error).message})`, { cause: e });
  }
  const json = parseModelJson(text, modelPath);
  const dir = modelPath.includes('/') ? modelPath.slice(0, modelPath.lastIndexOf('/') + 1) : '';
  for (const g of json.weightsManifest) {
    if (!Array.isArray(g?.paths) || !Array.isArray(g?.weights))
      throw new ModelLoadError(`${modelPath}: a weightsManifest group lacks "paths" or "weights"`);
    g.paths = g.paths.map(safeWeightPath);
    for (const w of g.weights) {
      if (typeof w?.name !== 'string' || !Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0))
        throw new ModelLoadError(`${modelPath}: weight ${JSON.stringify(w?.name)} has no valid name and shape`);
    }
  }
  // Estimate memory from the manifest before reading or allocating anything (float32 after dequantization).
  const needed = json.weightsManifest.reduce(
    (s, g) => s + g.weights.reduce((t, w) => t + w.shape.reduce((a, b) => a * b, 1) * 4, 0),
    0,
  );
  if (needed > maxWeightBytes) {
    throw new ModelLoadError(`the model's weights need ${mb(needed)}, more than the ${mb(maxWeightBytes)} allowed here`);
  }
  const names = new Set<string>();
  for (const group of json.weightsManifest)
    for (const w of group.weights) {
      if (names.has(w.name)) throw new ModelLoadError(`${modelPath}: weight ${w.name} is listed twice in the manifest`);
      names.add(w.name);
    }
  const expected = json.weightsManifest.map((g) => g.weights.reduce((s, w) => s + entryBytes(w), 0));
  const files = await readWeightFiles(readFile, dir, json.weightsManifest, expected);
  const groups = json.weightsManifest.map((group, gi) => {
    const parts = files[gi];
    const total = parts.reduce((s, b) => s + b.byteLength, 0);
    if (total < expected[gi]) {
      throw new ModelLoadError(
        `weight file ${group.paths.join(', ')}: ${total} bytes, but the manifest needs ${expected[gi]} bytes`,
      );
    }
    const buffer = new Uint8Array(total);
    let offset = 0;
    for (const b of parts) {
      buffer.set(new Uint8Array(b), offset);
      offset += b.byteLength;
    }
    return buffer;
  });
  return { json, groups };
}

/** Reads a package (readPackage) and decodes its weights into named constant tensors. */
export async function loadArtifacts(
  readFile: ReadFile,
  modelPath = 'model.json',
  maxWeightBytes = DEFAULT_MAX_WEIGHT_BYTES,
): Promise<ModelArtifacts> {
  const { json, groups } = await readPackage(readFile, modelPath, maxWeightBytes);
  const weights: tf.NamedTensorMap = {};
  const hash = new ContentHash().update(new TextEncoder().encode(JSON.stringify(json.modelTopology)));
  try {
    for (const [gi, group] of json.weightsManifest.entries()) {
      const buffer = groups[gi];
      hash.update(buffer);
      let decoded: tf.NamedTensorMap;
      try {
        decoded = tf.io.decodeWeights(buffer.buffer as ArrayBuffer, group.weights as tf.io.WeightsManifestEntry[]);
      } catch (e) {
        throw new ModelLoadError(`weight file ${group.paths.join(', ')}: cannot be decoded (${(e as Error).message})`);
      }
      Object.assign(weights, decoded);
    }
  } catch (e) {
    for (const t of Object.values(weights)) t.dispose();
    throw e;
  }
  return { json, weights, hash: hash.digest() };
}

/** A ReadFile over files a person picked or dropped (matched by base name, as model.json refers to them). */
export function filesReader(files: { name: string; arrayBuffer(): Promise<ArrayBuffer> }[]): ReadFile {
  const byName = new Map(files.map((f) => [f.name.split('/').pop()!, f]));
  return async (rel, maxBytes) => {
    const f = byName.get(rel.split('/').pop()!);
    if (!f) throw new Error('not among the chosen files');
    const size = (f as { size?: number }).size;
    if (maxBytes !== undefined && size !== undefined && size > maxBytes)
      throw new TooLargeError(`${size} bytes, more than ${maxBytes}`);
    return f.arrayBuffer();
  };
}

/** A ReadFile over in-memory artifacts (TensorFlow.js's own storage): model.json plus one weights file. */
export function artifactsReader(a: {
  modelTopology: unknown;
  weightSpecs: unknown[];
  weightData: ArrayBuffer;
  format?: string;
}): ReadFile {
  const json = JSON.stringify({
    format: a.format,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
  });
  return async (rel) => {
    if (rel.endsWith('model.json')) return new TextEncoder().encode(json).buffer as ArrayBuffer;
    if (rel.endsWith('weights.bin')) return a.weightData;
    throw new Error('not stored');
  };
}
