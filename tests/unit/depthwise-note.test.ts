/**
 * The note on featureless depthwise channels (issue 8 item 4): read from the model's own weights, with the sign of the
 * batch norm folded after them. On MobileNet v1 α0.75's conv_dw_6_bn, channels 0, 1 and 5 rendered as grey noise and
 * the others as textures (BENCHMARKS.md, session 8): exactly the ones whose weights are mostly negative.
 */
import { describe, expect, it } from 'vitest';
import { channelNote, depthwiseNote, weightBalance } from '../../src/lib/studio/depthwise-note.ts';
import { model, SMALL } from './helpers.ts';

describe('depthwise channels whose picture is featureless by nature', () => {
  it('are the ones whose weights are mostly negative (α0.75 conv_dw_6_bn: 0, 1 and 5 of 0–7)', async () => {
    const m = await model('mobilenet_v1_0.75_224');
    const a = m.layers.find((l) => l.name === 'conv_dw_6_bn')!.anatomy!;
    expect(a.values!.outputSigns).toHaveLength(a.values!.shape[2]);
    const silenced = [0, 1, 2, 3, 4, 5, 6, 7].filter((c) => depthwiseNote(a, c, true)?.includes('mostly negative'));
    expect(silenced).toEqual([0, 1, 5]);
    expect(depthwiseNote(a, 1, true)).toContain('input channel 1 is silent');
    // After the ReLU the same holds; the pointwise layer next to it has no such note.
    const relu = m.layers.find((l) => l.name === 'conv_dw_6_relu')!.anatomy!;
    expect(depthwiseNote(relu, 5, false)).toContain('mostly negative');
    expect(depthwiseNote(m.layers.find((l) => l.name === 'conv_pw_6_bn')!.anatomy, 0, true)).toBeNull();
  });

  it('says when weights cancel (before the activation only), and takes the folded batch norm sign into account', async () => {
    const m = await model(SMALL);
    const a = m.layers.find((l) => l.name === 'conv_dw_3_bn')!.anatomy!;
    // α0.25 conv_dw_3: channel 0's weights nearly cancel (an edge detector), channel 1's are mostly positive.
    expect(Math.abs(weightBalance(a, 0)!)).toBeLessThan(0.1);
    expect(depthwiseNote(a, 0, true)).toContain('weights cancel');
    expect(depthwiseNote(a, 0, false)).toBeNull();
    expect(depthwiseNote(a, 1, true)).toBeNull();
    // A negative γ flips the channel: the same weights then read as mostly negative.
    const flipped = { ...a, values: { ...a.values!, outputSigns: a.values!.outputSigns!.map((s, i) => (i === 1 ? -s : s)) } };
    expect(weightBalance(flipped, 1)).toBeCloseTo(-weightBalance(a, 1)!, 6);
    // A listed layer: channel means and units only; after a ReLU, no cancelling-weights note.
    const layer = (name: string) => m.layers.find((l) => l.name === name)!;
    expect(channelNote(layer('conv_dw_3_bn'), 0, 'channel')).toContain('weights cancel');
    expect(channelNote(layer('conv_dw_3_bn'), 0, 'neuron')).toBeNull();
    expect(channelNote(layer('conv_dw_3_relu'), 0, 'channel')).toBeNull();
    expect(channelNote(layer('conv_dw_3_bn'), 0, 'layer')).toBeNull();
  });
});
