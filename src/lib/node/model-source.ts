/**
 * What a CLI's --model names, worked out without TensorFlow.js: a registry id, or a model.json (or a folder holding
 * one) on disk. The CLIs check it before importing tfjs, so a mistyped model is answered at once.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REGISTRY, registryEntry, type RegistryEntry } from '../models/registry.ts';
import { UsageError } from './usage-error.ts';

export type ModelSource = { kind: 'registry'; entry: RegistryEntry } | { kind: 'file'; path: string };

export function modelSource(idOrPath: string): ModelSource {
  const entry = registryEntry(idOrPath);
  if (entry) return { kind: 'registry', entry };
  if (!idOrPath.endsWith('.json') && !existsSync(idOrPath)) {
    throw new UsageError(
      `unknown model "${idOrPath}": use a registry id (${REGISTRY.map((m) => m.id).join(', ')}) or a path to a model.json`,
    );
  }
  const path = resolve(idOrPath.endsWith('.json') ? idOrPath : join(idOrPath, 'model.json'));
  if (!existsSync(path)) throw new UsageError(`model file ${path} does not exist`);
  return { kind: 'file', path };
}
