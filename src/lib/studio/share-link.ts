/**
 * Links to one image: `?model=<registry id | user:<kept name>>&layer=<layer>&channel=<n>[&variant=<n>]&objective=…&size=…
 * &steps=…&seed=…&param=…&transforms=0|1&diversity=…`. Opening one loads the model, renders exactly that image (the
 * same bytes on the same backend: every image has its own seed stream) and opens it.
 */
import type { JobSettings } from '../protocol.ts';

export interface ImageTarget {
  layer: string;
  channel: number;
  variant: number;
}

export function shareLink(base: string, model: string, target: ImageTarget, s: JobSettings): string {
  const u = new URL(base);
  u.search = '';
  u.hash = '';
  const q = u.searchParams;
  q.set('model', model);
  q.set('layer', target.layer);
  q.set('channel', String(target.channel));
  if (target.variant) q.set('variant', String(target.variant));
  q.set('objective', s.objective);
  q.set('size', String(s.size));
  q.set('steps', String(s.steps));
  q.set('seed', String(s.seed));
  q.set('param', s.param);
  q.set('transforms', s.transforms ? '1' : '0');
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
