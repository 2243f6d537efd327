/** The model registry (models/registry.json): what to fetch, how to check it, how to feed the network. */
import registryJson from '../../../models/registry.json';
import labelsJson from '../../../models/imagenet-labels.json';
import type { ModelInfo } from '../engine/model.ts';

export interface RegistryFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface RegistryEntry {
  id: string;
  title: string;
  format: 'layers' | 'graph';
  default: boolean;
  upstream: string;
  upstreamQuery: string;
  inputShape: [number, number, number];
  inputRange: [number, number];
  labels: string;
  labelOffset: number;
  files: RegistryFile[];
}

export const REGISTRY: RegistryEntry[] = (registryJson as unknown as { models: RegistryEntry[] }).models;

export const DEFAULT_MODEL_ID = REGISTRY.find((m) => m.default)?.id ?? REGISTRY[0].id;

export function registryEntry(id: string): RegistryEntry | undefined {
  return REGISTRY.find((m) => m.id === id);
}

/** The engine's view of a registry entry. */
export function modelInfo(entry: RegistryEntry): ModelInfo {
  return {
    id: entry.id,
    title: entry.title,
    inputShape: entry.inputShape,
    inputRange: entry.inputRange,
    labels: entry.labels === 'imagenet-labels.json' ? (labelsJson as string[]) : undefined,
    labelOffset: entry.labelOffset,
  };
}
