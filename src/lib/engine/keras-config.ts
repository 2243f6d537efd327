/**
 * Reading a Keras layers model's topology and weights: a layer's record, its inputs, its two-valued settings, its
 * weights under the names converters produce, and batch-norm statistics. Shared by the layer table (keras-layers.ts)
 * and the build-time folds (keras-folds.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchNormStats } from './layer-tables.ts';
import { EngineError } from './network.ts';

export interface KerasLayer {
  class_name: string;
  name?: string;
  config: Record<string, unknown> & { name: string };
  inbound_nodes?: unknown[];
}

/** A Keras setting given as one number or a pair (strides, dilation), as a pair. */
export function pair(v: unknown, fallback: number): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
  if (typeof v === 'number') return [v, v];
  return [fallback, fallback];
}

/** The names of the layers feeding a layer of a functional model, in the formats of Keras 2 and Keras 3. */
export function inboundNames(layer: KerasLayer): string[] {
  const nodes = layer.inbound_nodes ?? [];
  if (!nodes.length) return [];
  const first = nodes[0] as unknown;
  // Keras 2: [[["name", 0, 0, {}], ...]]; Keras 3 style: [{args: [{config: {keras_history: [name, 0, 0]}}]}].
  if (Array.isArray(first)) return (first as unknown[][]).map((e) => String(e[0]));
  const args = (first as { args?: unknown[] }).args ?? [];
  const names: string[] = [];
  const visit = (a: unknown) => {
    if (Array.isArray(a)) a.forEach(visit);
    else if (a && typeof a === 'object') {
      const hist = (a as { config?: { keras_history?: unknown[] } }).config?.keras_history;
      if (hist) names.push(String(hist[0]));
    }
  };
  visit(args);
  return names;
}

/** Weight lookup tolerant of the naming variants converters produce ("conv1/kernel", "model/conv1/kernel:0"). */
export function weightFinder(weights: tf.NamedTensorMap) {
  const names = Object.keys(weights);
  return (layer: string, param: string, required = true): tf.Tensor | undefined => {
    const want = `${layer}/${param}`;
    const hit =
      weights[want] ??
      weights[`${want}:0`] ??
      weights[names.find((n) => n.endsWith(`/${want}`) || n.endsWith(`/${want}:0`)) ?? ''];
    if (!hit && required) throw new EngineError(`layer ${layer}: weight ${param} is missing from the weights manifest`);
    return hit;
  };
}

export type WeightFinder = ReturnType<typeof weightFinder>;

/** Statistics of a Keras BatchNormalization layer. */
export function batchNormStats(c: KerasLayer['config'], name: string, w: WeightFinder): BatchNormStats {
  return {
    epsilon: Number(c.epsilon ?? 1e-3),
    gamma: c.scale === false ? undefined : w(name, 'gamma'),
    beta: c.center === false ? undefined : w(name, 'beta'),
    mean: w(name, 'moving_mean')!,
    variance: w(name, 'moving_variance')!,
  };
}
