/** Loading a model in Node by registry id or by path to a model.json (or what `modelSource` made of either). */
import { join } from 'node:path';
import { FeatureModel, type Normalization } from '../engine/model.ts';
import { modelInfo } from '../models/registry.ts';
import { fileReader } from './files.ts';
import { ensureModel } from './model-cache.ts';
import { modelSource, type ModelSource } from './model-source.ts';

export async function loadModel(
  model: string | ModelSource,
  inputRange?: [number, number],
  normalize?: Normalization,
): Promise<FeatureModel> {
  const source = typeof model === 'string' ? modelSource(model) : model;
  if (source.kind === 'registry') {
    const dir = await ensureModel(source.entry);
    const { read, entry: file } = fileReader(join(dir, 'model.json'));
    const info = modelInfo(source.entry);
    return FeatureModel.load(read, { ...info, ...(inputRange ? { inputRange } : {}), ...(normalize ? { normalize } : {}) }, file);
  }
  const { read, entry: file } = fileReader(source.path);
  const m = await FeatureModel.load(read, { id: source.path, inputRange: inputRange ?? [-1, 1], normalize }, file);
  // Without --input-range: what the model declares (a Rescaling layer on its input), else [-1, 1].
  if (!inputRange && m.declaredRange) m.setInputRange(m.declaredRange.range, normalize);
  return m;
}
