/**
 * Reading a TensorFlow.js model package (model.json + weight files) into named constant tensors.
 * The engine never touches the file system or the network itself: the caller supplies `readFile`.
 */
import * as tf from '@tensorflow/tfjs';

export type ReadFile = (relativePath: string) => Promise<ArrayBuffer>;

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
}

/** A model package that cannot be used, with a message that names the file and the reason. */
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
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

/** Reads model.json and every weight file it lists, checks the byte counts, and decodes the weights. */
export async function loadArtifacts(readFile: ReadFile, modelPath = 'model.json'): Promise<ModelArtifacts> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readFile(modelPath));
  } catch (e) {
    throw new ModelLoadError(`${modelPath}: cannot be read (${(e as Error).message})`);
  }
  const json = parseModelJson(text, modelPath);
  const dir = modelPath.includes('/') ? modelPath.slice(0, modelPath.lastIndexOf('/') + 1) : '';
  const weights: tf.NamedTensorMap = {};
  try {
    for (const group of json.weightsManifest) {
      const expected = group.weights.reduce((s, w) => s + entryBytes(w), 0);
      const parts: ArrayBuffer[] = [];
      for (const p of group.paths) {
        try {
          parts.push(await readFile(dir + p));
        } catch (e) {
          throw new ModelLoadError(`weight file ${p}: cannot be read (${(e as Error).message})`);
        }
      }
      const total = parts.reduce((s, b) => s + b.byteLength, 0);
      if (total < expected) {
        throw new ModelLoadError(
          `weight file ${group.paths.join(', ')}: ${total} bytes, but the manifest needs ${expected} bytes`,
        );
      }
      const buffer = new Uint8Array(total);
      let offset = 0;
      for (const b of parts) {
        buffer.set(new Uint8Array(b), offset);
        offset += b.byteLength;
      }
      const decoded = tf.io.decodeWeights(buffer.buffer, group.weights as tf.io.WeightsManifestEntry[]);
      Object.assign(weights, decoded);
    }
  } catch (e) {
    for (const t of Object.values(weights)) t.dispose();
    throw e;
  }
  return { json, weights };
}
