/**
 * Bounds on render settings, checked before anything is allocated: wherever settings come from (a shared link, the
 * settings panel, a worker message), a value out of range is refused with a message that names it and the range.
 */
import type { ObjectiveKind } from './engine/objectives.ts';
import type { ParamKind } from './engine/param.ts';
import type { JobSettings } from './protocol.ts';

export const SETTING_BOUNDS = {
  size: [8, 512],
  steps: [1, 4096],
  seed: [0, 2 ** 31 - 1],
  diversity: [0, 1000],
  /** Images of one target rendered together: at most a batch (the worker's MAX_BATCH). */
  variants: [1, 8],
} as const;

const OBJECTIVES: ObjectiveKind[] = ['channel', 'neuron', 'layer', 'logit'];
const PARAMS: ParamKind[] = ['fourier', 'pixel'];

export class SettingsError extends Error {
  override name = 'SettingsError';
}

function intIn(name: keyof typeof SETTING_BOUNDS, v: unknown): number {
  const [lo, hi] = SETTING_BOUNDS[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
    throw new SettingsError(`${name} must be a whole number from ${lo} to ${hi} (got ${String(v)})`);
  return v;
}

/**
 * The settings when every value is in range, in their one written form (a missing group size — settings written
 * before groups had one — is a single image; a single image's diversity is 0); otherwise a SettingsError naming the
 * first bad one.
 */
export function checkJobSettings(s: Omit<JobSettings, 'variants'> & { variants?: number }): JobSettings {
  if (!OBJECTIVES.includes(s.objective))
    throw new SettingsError(`objective must be one of ${OBJECTIVES.join(', ')} (got ${s.objective})`);
  if (!PARAMS.includes(s.param)) throw new SettingsError(`param must be one of ${PARAMS.join(', ')} (got ${s.param})`);
  if (typeof s.transforms !== 'boolean') throw new SettingsError('transforms must be true or false');
  const [dLo, dHi] = SETTING_BOUNDS.diversity;
  if (typeof s.diversity !== 'number' || !(s.diversity >= dLo && s.diversity <= dHi))
    throw new SettingsError(`diversity must be from ${dLo} to ${dHi} (got ${String(s.diversity)})`);
  const variants = intIn('variants', s.variants ?? 1);
  return {
    objective: s.objective,
    size: intIn('size', s.size),
    steps: intIn('steps', s.steps),
    seed: intIn('seed', s.seed),
    param: s.param,
    transforms: s.transforms,
    diversity: variants > 1 ? s.diversity : 0,
    variants,
  };
}

/** The same settings for a single image (what the gallery renders): no group, no diversity. */
export function singleImage(s: JobSettings): JobSettings {
  return { ...s, variants: 1, diversity: 0 };
}

/**
 * Settings from a shared link's parameters (steps, size, seed, objective, param, transforms, variants, diversity): the
 * ones in range, and a message for each refused one (it keeps its default).
 */
export function settingsFromParams(q: URLSearchParams, base: JobSettings): { settings: JobSettings; refused: string[] } {
  let settings = { ...base };
  const refused: string[] = [];
  // Links written before the group size was one of their parameters name a variant only: its group had at least
  // variant + 1 images (that many are rendered again).
  const variant = Number(q.get('variant'));
  if (q.get('variants') === null && Number.isInteger(variant) && variant > 0 && variant < SETTING_BOUNDS.variants[1])
    settings = { ...settings, variants: variant + 1 };
  const parse: Record<keyof JobSettings, (raw: string) => unknown> = {
    steps: Number,
    size: Number,
    seed: Number,
    variants: Number,
    diversity: Number,
    objective: (r) => r,
    param: (r) => r,
    transforms: (r) => (r === '1' || r === 'true' ? true : r === '0' || r === 'false' ? false : r),
  };
  for (const k of Object.keys(parse) as (keyof JobSettings)[]) {
    const raw = q.get(k);
    if (raw === null) continue;
    const trial = { ...settings, [k]: parse[k](raw) };
    try {
      settings = checkJobSettings(trial);
    } catch (e) {
      refused.push(`link parameter ${k}=${raw.slice(0, 40)} ignored: ${(e as Error).message}`);
    }
  }
  return { settings, refused };
}
