import { describe, expect, it } from 'vitest';
import { channel, compose, diversity, l1, neuron, sum, weightedChannels } from '../../src/lib/engine/objectives.ts';

describe('the channels an objective reads', () => {
  it('are declared by channel, weighted and neuron objectives, ascending and distinct', () => {
    expect(channel('a', [7, 3, 7]).channels).toEqual({ a: [3, 7] });
    expect(
      weightedChannels('a', [
        [
          { index: 9, weight: 1 },
          { index: 2, weight: -1 },
        ],
        [{ index: 2, weight: 0.5 }],
      ]).channels,
    ).toEqual({
      a: [2, 9],
    });
    expect(neuron('a', [4, 1]).channels).toEqual({ a: [1, 4] });
    expect(diversity('a').channels).toBeUndefined();
  });

  it('compose: sums take the union per layer, a part reading the layer whole keeps it whole, scaling keeps them', () => {
    expect(sum(channel('a', [1]), channel('a', [5]), channel('b', [0])).channels).toEqual({ a: [1, 5], b: [0] });
    // Diversity on the same layer reads every channel: that layer is whole, the other still in part.
    expect(sum(channel('a', [1]), diversity('a'), neuron('b', [2])).channels).toEqual({ b: [2] });
    expect(sum(channel('a', [1]), diversity('a')).channels).toBeUndefined();
    // Regularizers read the image, not a layer: they change nothing.
    expect(sum(channel('a', [3]), l1()).channels).toEqual({ a: [3] });
    expect(
      compose(channel('a', [2]))
        .minus(channel('a', [8]))
        .times(0.5).channels,
    ).toEqual({ a: [2, 8] });
  });
});

describe('the groups the diversity term acts within', () => {
  it('variants of one target share a group; other channels, compositions and positions do not', async () => {
    const { targetGroups } = await import('../../src/lib/engine/objective-builder.ts');
    const v = (index: number, variant: number, extra = {}) => ({ index, variant, ...extra });
    expect(targetGroups('channel', [v(2, 0), v(2, 1), v(5, 0), v(2, 0, { terms: [{ index: 2, weight: -1 }] })])).toEqual([
      0, 0, 1, 2,
    ]);
    expect(targetGroups('neuron', [v(2, 0, { position: [0.5, 0.5] }), v(2, 1, { position: [0.1, 0.5] })])).toEqual([0, 1]);
    // DeepDream: the studio batches the groups of two cards (one index each) apart; the CLI's dreams (index 0) are one.
    expect(targetGroups('layer', [v(2, 0), v(2, 1), v(5, 0), v(5, 1)])).toEqual([0, 0, 1, 1]);
    expect(targetGroups('layer', [v(0, 0), v(0, 1), v(0, 2)])).toEqual([0, 0, 0]);
  });
});
