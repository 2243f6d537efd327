/** Loading a model in Node by registry id or by path to a model.json. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FeatureModel, type Normalization } from '../engine/model.ts';
import { REGISTRY, modelInfo, registryEntry } from '../models/registry.ts';
import { fileReader } from './files.ts';
import { ensureModel } from './model-cache.ts';
import { UsageError } from './usage-error.ts';

export async function loadModel(
  idOrPath: string,
  inputRange?: [number, number],
  normalize?: Normalization,
): Promise<FeatureModel> {
  const entry = registryEntry(idOrPath);
  if (entry) {
    const dir = await ensureModel(entry);
    const { read, entry: file } = fileReader(join(dir, 'model.json'));
    const info = modelInfo(entry);
    return FeatureModel.load(read, { ...info, ...(inputRange ? { inputRange } : {}), ...(normalize ? { normalize } : {}) }, file);
  }
  if (!idOrPath.endsWith('.json') && !existsSync(idOrPath)) {
    throw new UsageError(
      `unknown model "${idOrPath}": use a registry id (${REGISTRY.map((m) => m.id).join(', ')}) or a path to a model.json`,
    );
  }
  const path = resolve(idOrPath.endsWith('.json') ? idOrPath : join(idOrPath, 'model.json'));
  if (!existsSync(path)) throw new UsageError(`model file ${path} does not exist`);
  const { read, entry: file } = fileReader(path);
  const m = await FeatureModel.load(read, { id: path, inputRange: inputRange ?? [-1, 1], normalize }, file);
  // Without --input-range: what the model declares (a Rescaling layer on its input), else [-1, 1].
  if (!inputRange && m.declaredRange) m.setInputRange(m.declaredRange.range, normalize);
  return m;
}
