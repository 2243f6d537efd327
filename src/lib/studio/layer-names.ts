/**
 * How layers are named on screen. Graph models name every node by its whole path
 * ("module_apply_default/MobilenetV1/MobilenetV1/Conv2d_3_pointwise/BatchNorm/FusedBatchNorm"): the path all layers
 * share is left out, so names stay apart in a narrow list. tf-converter turns a folded batch norm into an Add; such a
 * node is shown as the batch norm it was.
 */
import type { LayerInfo } from '../engine/model.ts';

/** The '/'-separated path every name starts with ('' when they share none, or there is one layer). */
export function sharedPath(names: string[]): string {
  if (names.length < 2) return '';
  const split = names.map((n) => n.split('/'));
  const first = split[0];
  let k = 0;
  // Keep at least the last segment of every name.
  while (k < first.length - 1 && split.every((p) => p.length - 1 > k && p[k] === first[k])) k++;
  return k ? first.slice(0, k).join('/') + '/' : '';
}

export function shortName(name: string, shared: string): string {
  return shared && name.startsWith(shared) ? name.slice(shared.length) : name;
}

/**
 * Short, distinct labels for a list of layers: the shared path goes, and so does every path segment that (nearly) all
 * names have at the same place ("MobilenetV1/…/BatchNorm/FusedBatchNorm" → "Conv2d_3_pointwise"). Names whose short
 * labels would collide keep their longer form.
 */
export function compactNames(names: string[]): Map<string, string> {
  const shared = sharedPath(names);
  const parts = names.map((n) => shortName(n, shared).split('/'));
  const common = new Set<number>();
  const longest = Math.max(0, ...parts.map((p) => p.length));
  for (let i = 0; i < longest; i++) {
    const counts = new Map<string, number>();
    for (const p of parts) if (p.length > i) counts.set(p[i], (counts.get(p[i]) ?? 0) + 1);
    const top = Math.max(0, ...counts.values());
    if (names.length >= 3 && top >= 0.75 * names.length) common.add(i);
  }
  const labels = parts.map((p) => {
    const kept = p.filter((seg, i) => !common.has(i) || countOf(parts, i, seg) < 0.75 * names.length);
    return (kept.length ? kept : [p[p.length - 1]]).join('/');
  });
  const seen = new Map<string, number>();
  for (const l of labels) seen.set(l, (seen.get(l) ?? 0) + 1);
  return new Map(names.map((n, i) => [n, seen.get(labels[i])! > 1 ? shortName(n, shared) : labels[i]]));
}

function countOf(parts: string[][], i: number, seg: string): number {
  return parts.filter((p) => p[i] === seg).length;
}

export function displayKind(layer: Pick<LayerInfo, 'name' | 'kind'>): string {
  if (/^(Add|AddV2|BiasAdd|Mul)$/.test(layer.kind) && /batch_?norm/i.test(layer.name)) return 'BatchNorm (folded)';
  return layer.kind;
}
