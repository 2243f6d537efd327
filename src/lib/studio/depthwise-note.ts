/**
 * Why some depthwise channels render as grey noise, said on the channel. A depthwise unit is linear in one input
 * channel: before its activation it is Σ w·x over a k×k window plus a bias. Its mean over the map is therefore
 * (Σ w)·mean(x) + bias, up to the border, and:
 *  - where the weights (with the sign of the batch norm folded after them) are mostly negative, the unit is highest
 *    where its input channel is silent: any image without that channel's feature maximizes it, so its picture is
 *    featureless by nature (MobileNet v1 α0.75 conv_dw_6 channels 0, 1 and 5: weight sums −0.75, −1, −1 of their
 *    absolute sums, all grey noise; its channels with positive sums all show textures). This holds after the ReLU too.
 *  - where they cancel (an edge or line detector), the channel's mean before the activation depends on the image only
 *    through the map's border; a single unit shows the edge.
 */
import type { LayerAnatomy } from '../engine/layer-anatomy.ts';

/** Share of a channel's weights that is net negative: Σw / Σ|w|, with the folded batch norm's sign. */
export function weightBalance(a: LayerAnatomy, channel: number): number | null {
  const v = a.values;
  if (a.kind !== 'depthwise' || !v || v.shape.length !== 4) return null;
  const [kh, kw, c, m] = v.shape;
  if (channel < 0 || channel >= c * m) return null;
  const sign = v.outputSigns?.[channel] ?? 1;
  let sum = 0;
  let abs = 0;
  for (let p = 0; p < kh * kw; p++) {
    const w = v.weights[p * c * m + channel] * sign;
    sum += w;
    abs += Math.abs(w);
  }
  return abs > 0 ? sum / abs : null;
}

/** The note for a depthwise channel rendered as a channel mean, or null when its picture needs none. */
export function depthwiseNote(a: LayerAnatomy | undefined, channel: number, beforeActivation: boolean): string | null {
  if (!a) return null;
  const balance = weightBalance(a, channel);
  if (balance === null) return null;
  const input = Math.floor(channel / a.values!.shape[3]);
  if (balance <= -0.5)
    return (
      `Its ${a.values!.shape[0]}×${a.values!.shape[1]} weights are mostly negative (sum ${balance.toFixed(2)} of their ` +
      `absolute sum): this unit is highest where its input channel ${input} is silent, so any image without that ` +
      `channel's feature maximizes it and its picture is featureless by nature. What it reacts against is input ` +
      `channel ${input} of the layer before.`
    );
  if (beforeActivation && Math.abs(balance) < 0.1)
    return (
      `Its weights cancel (sum ${balance.toFixed(2)} of their absolute sum: an edge or line detector): the channel's ` +
      `mean over the map depends on the image only through the map's border, so this picture may show little; a ` +
      `single unit (the neuron objective) shows the edge it detects.`
    );
  return null;
}

/**
 * The note for a channel of a listed layer rendered with `objective` (channel means and single units only; the
 * cancelling-weights case only before the activation, where the map's mean is linear in the image).
 */
export function channelNote(
  layer: { anatomy?: LayerAnatomy; kind: string } | undefined,
  channel: number,
  objective: string,
): string | null {
  if (!layer || (objective !== 'channel' && objective !== 'neuron')) return null;
  const linear = !/relu|activation/i.test(layer.kind);
  return depthwiseNote(layer.anatomy, channel, linear && objective === 'channel');
}
