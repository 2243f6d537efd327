/**
 * Objectives from settings: the studio's and the CLI's objective kinds (channel, neuron, layer, logit) on a model's
 * layer, checked against that layer, plus the regularizers and diversity term the settings ask for.
 */
import type { FeatureModel } from './model.ts';
import { EngineError } from './network.ts';
import * as obj from './objectives.ts';

export interface ObjectiveSpec {
  objective: obj.ObjectiveKind;
  layer: string;
}

export interface RegularizerSpec {
  l1: number;
  tv: number;
  blur: number;
  diversity: number;
}

export interface Target {
  /** Channel (channel / neuron objectives) or class output index (logit); for the layer objective, only its group. */
  index: number;
  /** Distinguishes several renders of the same target in one batch (diversity variants). */
  variant?: number;
  /** Channel objective only: a weighted sum of channels instead of `index` alone (see objectives.weightedChannels). */
  terms?: obj.ChannelTerm[];
  /** Neuron objective only: the unit's position as fractions of the layer's height and width (default: centre). */
  position?: [number, number];
}

/** The objective for these settings and targets, including regularizers and diversity. */
export function buildObjective(model: FeatureModel, s: ObjectiveSpec, targets: Target[]): obj.Objective {
  const info = s.objective === 'logit' ? model.logitsLayer : model.layer(s.layer);
  if (!info) throw new EngineError(`model ${model.info.id} has no class-score layer for the logit objective`);
  const idx = targets.map((t) => t.index);
  const range = info.shape[2];
  if (s.objective !== 'layer') {
    for (const i of [...idx, ...targets.flatMap((t) => (t.terms ?? []).map((x) => x.index))]) {
      if (!Number.isInteger(i) || i < 0 || i >= range) {
        throw new EngineError(
          `${s.objective === 'logit' ? 'class' : 'channel'} ${i} is out of range for layer ${info.name} (valid: 0-${range - 1})`,
        );
      }
    }
  }
  switch (s.objective) {
    case 'channel':
      return targets.some((t) => t.terms)
        ? obj.weightedChannels(
            info.name,
            targets.map((t) => t.terms ?? [{ index: t.index, weight: 1 }]),
          )
        : obj.channel(info.name, idx);
    case 'neuron':
      return obj.neuron(
        info.name,
        idx,
        targets.map((t) => t.position ?? null),
      );
    case 'layer':
      return obj.layerDream(info.name, targets.length);
    case 'logit':
      return obj.logit(info.name, idx);
  }
}

/**
 * The weighted regularizers (subtracted) and the diversity term (added) on `layer`; `groups` tells the diversity term
 * which batch items are variants of one target (targetGroups).
 */
export function regularizers(s: RegularizerSpec, layer: string, groups?: number[]): obj.Objective[] {
  const r: obj.Objective[] = [];
  if (s.l1) r.push(obj.scale(obj.l1(0.5), -s.l1));
  if (s.tv) r.push(obj.scale(obj.totalVariation(), -s.tv));
  if (s.blur) r.push(obj.scale(obj.blur(), -s.blur));
  // With no two variants of one target in the batch the term is zero: left out, the network may compute only the
  // channels the objective reads (diversity reads the whole layer).
  if (s.diversity && (!groups || obj.hasPairs(groups))) r.push(obj.scale(obj.diversity(layer, groups), s.diversity));
  return r;
}

/**
 * Each target's group: targets that differ only by variant share one (the images diversity pushes apart). The layer
 * objective does not read the index, but it still tells groups apart: the studio batches the DeepDream groups of
 * several cards (one index each), and the CLI's variants of one dream all have index 0.
 */
export function targetGroups(objective: obj.ObjectiveKind, targets: Target[]): number[] {
  const ids = new Map<string, number>();
  return targets.map((t) => {
    const key = objective === 'layer' ? String(t.index) : JSON.stringify([t.index, t.terms ?? null, t.position ?? null]);
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    return id;
  });
}
