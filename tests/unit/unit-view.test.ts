import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS } from '../../src/lib/protocol.ts';
import { bandSettings, unitViewByDefault, unitZoom } from '../../src/lib/studio/unit-view.ts';

describe('the unit view of the first layers', () => {
  it('is the default only where units see a few pixels, never for class scores', () => {
    expect(unitViewByDefault({ receptiveField: 3, logits: false })).toBe(true);
    expect(unitViewByDefault({ receptiveField: 7, logits: false })).toBe(true);
    expect(unitViewByDefault({ receptiveField: 11, logits: false })).toBe(false);
    expect(unitViewByDefault({ receptiveField: 1, logits: true })).toBe(false);
  });

  it('renders the centre unit in place of the channel mean, and leaves the other objectives alone', () => {
    const base = DEFAULT_JOB_SETTINGS;
    expect(bandSettings({ logits: false }, base, true)).toEqual({ ...base, objective: 'neuron' });
    expect(bandSettings({ logits: false }, base, false)).toBe(base);
    expect(bandSettings({ logits: true }, base, true).objective).toBe('logit');
    const dream = { ...base, objective: 'layer' as const };
    expect(bandSettings({ logits: false }, dream, true)).toBe(dream);
  });

  it('magnifies the centre square of four receptive fields (at least 24 px) to the card', () => {
    expect(unitZoom(3, 128)).toBeCloseTo(128 / 24);
    expect(unitZoom(7, 128)).toBeCloseTo(128 / 28);
    expect(unitZoom(7, 28)).toBe(1);
  });
});
