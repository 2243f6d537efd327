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
