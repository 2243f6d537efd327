/**
 * The unit view of the first layers. A channel objective (the spatial mean of a channel) at a layer whose units see
 * only a few pixels is maximized by one flat colour: the first conv's pre-activation is linear in the image, so its
 * mean depends on nothing but the image's average colour, and one or two layers later it is nearly so. Those bands
 * render as flat, saturated fields with blotches where the sigmoid saturated (BENCHMARKS.md, "The first layers").
 * The centre unit (the neuron objective) shows the pattern one unit picks out — for a linear unit, its filter — so
 * such bands show units by default, zoomed onto the units' receptive field; a toggle gives the channel means back.
 */
import type { LayerInfo } from '../engine/model.ts';
import type { JobSettings } from '../protocol.ts';

/** Receptive fields up to this many input pixels get the unit view by default (MobileNet v1: conv1, dw_1, pw_1). */
export const UNIT_VIEW_MAX_FIELD = 7;

/** Whether a band of this layer starts in the unit view. */
export function unitViewByDefault(layer: Pick<LayerInfo, 'receptiveField' | 'logits'>): boolean {
  return !layer.logits && layer.receptiveField <= UNIT_VIEW_MAX_FIELD;
}

/** The settings a band renders with: the class band scores classes, a band in the unit view the centre unit. */
export function bandSettings(layer: Pick<LayerInfo, 'logits'>, base: JobSettings, units: boolean): JobSettings {
  if (layer.logits) return { ...base, objective: 'logit' };
  return units && (base.objective === 'channel' || base.objective === 'neuron') ? { ...base, objective: 'neuron' } : base;
}

/**
 * How much a card of the unit view is magnified: enough that the centre square of 4 receptive fields (at least 24
 * px) fills the card, where the unit's pattern sits; 1 for an image smaller than that.
 */
export function unitZoom(receptiveField: number, size: number): number {
  const window = Math.max(4 * receptiveField, 24);
  return window >= size ? 1 : size / window;
}
