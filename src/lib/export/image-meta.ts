/**
 * The one description of a rendered image that the studio and the CLI both write — into the PNG's settings chunk,
 * the layer ZIP's manifest and the CLI's manifest.json:
 *
 *   { format: 'featurescope-image/1', model, layer, channel, variant, step, value, backend, combo?,
 *     settings: { objective, size, steps, seed, param, transforms, diversity, lr, lrEnd, decayPower, decorrelate,
 *                 redirectSteps, l1, tv, blur, variants? } }
 *
 * `settings` are the render settings with the engine's defaults filled in, so the same settings render the same image.
 * `step` is the step the image is from (a snapshot's is below settings.steps); `value` is the objective on the clean
 * final image, or for a snapshot the objective at that step.
 */
import { DEFAULT_SETTINGS, type RenderSettings } from '../engine/render-settings.ts';
import { comboLabel, type Combo, type JobSettings } from '../protocol.ts';

export const IMAGE_META_FORMAT = 'featurescope-image/1';

export type ImageSettings = Omit<RenderSettings, 'layer' | 'thresholds'> & {
  /** The studio's renders: how many variants of the target rendered together (1: a single image). */
  variants?: number;
};

export interface ImageMeta {
  format: typeof IMAGE_META_FORMAT;
  model: string;
  layer: string;
  channel: number;
  variant: number;
  step: number;
  value: number | null;
  backend: string | null;
  settings: ImageSettings;
  /** A composed objective around `channel` (negative, sum, difference, mix, unit at a position), when it is one. */
  combo?: Combo;
}

export function imageMeta(p: {
  model: string;
  layer: string;
  channel: number;
  variant?: number;
  step?: number;
  value: number | null;
  backend: string | null;
  settings: JobSettings | Partial<RenderSettings>;
  combo?: Combo;
}): ImageMeta {
  const { layer: _layer, thresholds: _thresholds, ...settings } = { ...DEFAULT_SETTINGS, ...p.settings } as RenderSettings;
  return {
    format: IMAGE_META_FORMAT,
    model: p.model,
    layer: p.layer,
    channel: p.channel,
    variant: p.variant ?? 0,
    step: p.step ?? settings.steps,
    value: p.value,
    backend: p.backend,
    settings,
    ...(p.combo ? { combo: p.combo } : {}),
  };
}

/**
 * The meta as rows for a table: the image's identity, then each setting. A variant is counted from 1 with its group's
 * size ("2 of 4", as the detail view's strip says); a single image has no variant row and no group size.
 */
export function metaRows(m: ImageMeta): [string, string][] {
  const group = m.settings.variants ?? 1;
  const variant: [string, string][] =
    group > 1 ? [['variant', `${m.variant + 1} of ${group}`]] : m.variant > 0 ? [['variant', String(m.variant + 1)]] : [];
  const head: [string, string][] = [
    ['model', m.model],
    ['layer', m.layer],
    ['channel', comboLabel(m.channel, m.combo)],
    ...variant,
    ['step', String(m.step)],
    ['backend', m.backend ?? '—'],
  ];
  const settings = Object.entries(m.settings).filter(([k]) => k !== 'variants');
  return [...head, ...settings.map(([k, v]): [string, string] => [k, String(v)])];
}
