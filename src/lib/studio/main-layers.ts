/** Which of a model's layers the studio offers by default (the gallery's bands, the inversion's layer choice). */
import type { LayerInfo } from '../engine/model.ts';

/**
 * The layers worth a band by default: each conv's (batch-normalized) pre-activation, the points where branches
 * meet (residual Add, Concatenate, gating Multiply of a Keras model), and the class scores.
 */
export function mainLayers(layers: LayerInfo[]): LayerInfo[] {
  const bn = layers.filter(
    (l) => l.logits || /(_bn|BatchNorm\/FusedBatchNorm)$/.test(l.name) || /^(Add|Concatenate|Multiply)$/.test(l.kind),
  );
  if (bn.length > 2) return bn;
  return layers.filter((l) => l.logits || /conv/i.test(l.kind));
}

/**
 * The layers an inversion at `size` px can show: the main ones without the class scores, and only those that still
 * have a map (more than one unit a side) at that size.
 */
export function inversionLayers(layers: LayerInfo[], size: number): LayerInfo[] {
  return mainLayers(layers).filter((l) => !l.logits && Math.ceil(size / Math.max(1, l.stride)) > 1);
}

/** Where along the depth the inversion's default layers sit: early edges, textures, patterns, parts. */
const SPREAD = [0.08, 0.23, 0.46, 0.85];

/**
 * `n` (at most 4) layers spread over the depth of `names` (input side first), for showing what each keeps of a
 * photo; fewer when there are fewer layers, never the same one twice.
 */
export function spreadLayers(names: string[], n = SPREAD.length): string[] {
  const last = names.length - 1;
  const picked = SPREAD.slice(0, n).map((f) => names[Math.round(f * last)]);
  return [...new Set(picked.filter((x) => x !== undefined))];
}
