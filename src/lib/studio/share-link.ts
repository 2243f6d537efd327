/**
 * Links to one image: `?model=<registry id | user:<kept name> | URL of a model.json>[&range=a,b[&mean=…&std=…]]&layer=<layer>&channel=<n>[&variant=<n>]&objective=…&size=…
 * &steps=…&seed=…&param=…&transforms=0|1[&variants=…&diversity=…]` (a variant's group). Opening one loads the model, renders exactly that image (the
 * same bytes on the same backend: every image has its own seed stream) and opens it.
 */
import type { InputMapping, JobSettings } from '../protocol.ts';

export interface ImageTarget {
  layer: string;
  channel: number;
  variant: number;
}

/** A model a link names: a registry id or kept model (`user:<name>`), or the URL of a person's model and its range. */
export type LinkModel = string | { url: string; mapping: InputMapping };

export function shareLink(base: string, model: LinkModel, target: ImageTarget, s: JobSettings): string {
  const u = new URL(base);
  u.search = '';
  u.hash = '';
  const q = u.searchParams;
  if (typeof model === 'string') q.set('model', model);
  else {
    q.set('model', model.url);
    q.set('range', model.mapping.inputRange.join(','));
    if (model.mapping.normalize) {
      q.set('mean', model.mapping.normalize.mean.join(','));
      q.set('std', model.mapping.normalize.std.join(','));
    }
  }
  q.set('layer', target.layer);
  q.set('channel', String(target.channel));
  if (target.variant) q.set('variant', String(target.variant));
  q.set('objective', s.objective);
  q.set('size', String(s.size));
  q.set('steps', String(s.steps));
  q.set('seed', String(s.seed));
  q.set('param', s.param);
  q.set('transforms', s.transforms ? '1' : '0');
  if (s.variants > 1) q.set('variants', String(s.variants));
  if (s.diversity) q.set('diversity', String(s.diversity));
  return u.href;
}

/** The image a link points at, if it names a layer and a channel; a malformed channel is a message, not a target. */
export function targetFromParams(q: URLSearchParams): { target: ImageTarget | null; refused: string[] } {
  const layer = q.get('layer');
  const raw = q.get('channel');
  if (!layer || raw === null) return { target: null, refused: [] };
  const channel = Number(raw);
  const variant = Number(q.get('variant') ?? 0);
  if (!Number.isInteger(channel) || channel < 0 || channel > 1e6 || !Number.isInteger(variant) || variant < 0 || variant > 64)
    return { target: null, refused: [`link parameter channel=${raw.slice(0, 40)} ignored: not a channel number`] };
  return { target: { layer: layer.slice(0, 500), channel, variant }, refused: [] };
}

/**
 * A `model=` parameter that is a URL (http(s), or a path on this server ending in .json or /): the person's model at
 * that URL, fed the link's `range` (and `mean`/`std`), [0, 1] when absent. Null for a registry id or kept model.
 */
export function modelUrlFromParams(q: URLSearchParams): { url: string; name: string; mapping: InputMapping } | null {
  const model = q.get('model');
  if (!model || !(/^https?:\/\//.test(model) || (model.startsWith('/') && /(\.json|\/)$/.test(model)))) return null;
  const nums = (k: string, n: number) => {
    const v = q.get(k)?.split(',').map(Number);
    return v && v.length === n && v.every(Number.isFinite) ? v : null;
  };
  const range = nums('range', 2);
  const mean = nums('mean', 3);
  const std = nums('std', 3);
  const mapping: InputMapping = {
    inputRange: range && range[0] < range[1] ? [range[0], range[1]] : [0, 1],
    ...(mean && std && std.every((x) => x > 0)
      ? { normalize: { mean: mean as [number, number, number], std: std as [number, number, number] } }
      : {}),
  };
  return { url: model, name: keptName(urlFolderName(model) ?? 'linked'), mapping };
}

/** The folder a model URL points into (".../mobilenet/model.json" and ".../mobilenet/" both give "mobilenet"). */
export function urlFolderName(url: string): string | undefined {
  const parts = url.split('?')[0].split('/').filter(Boolean);
  return parts.at(-1)?.endsWith('.json') ? parts.at(-2) : parts.at(-1);
}

/** A name a kept model may have: letters, digits, _ . and -; anything else becomes _. */
export const keptName = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');
