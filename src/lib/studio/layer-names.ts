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

export function displayKind(layer: Pick<LayerInfo, 'name' | 'kind'>): string {
  if (/^(Add|AddV2|BiasAdd|Mul)$/.test(layer.kind) && /batch_?norm/i.test(layer.name)) return 'BatchNorm (folded)';
  return layer.kind;
}
