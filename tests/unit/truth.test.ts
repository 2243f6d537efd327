/**
 * The truth number: a render's value over the photos' best on the same measure (mean for a channel, maximum for a
 * unit or a class), and what it says when no photo drives the channel above 0; requests for examples gathered into
 * one message per turn, never asked twice while in flight.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, type ChannelExamples } from '../../src/lib/protocol.ts';
import { ExampleRequests } from '../../src/lib/studio/example-requests.ts';
import { truthOf } from '../../src/lib/studio/truth.ts';

const ex = (mean: number, max: number): ChannelExamples => ({
  layer: 'l',
  channel: 3,
  examples: [],
  best: { max, maxPhoto: 'a', mean, meanPhoto: 'b' },
  photos: 12,
});
const card = (value: number, objective: 'channel' | 'neuron' | 'logit' = 'channel') => ({
  value,
  status: 'done' as const,
  settings: { ...DEFAULT_JOB_SETTINGS, objective },
  channel: 3,
  combo: objective === 'neuron' ? { kind: 'at' as const, y: 0.5, x: 0.5 } : undefined,
});

describe('truth number', () => {
  it('divides a channel render by the best mean, a unit or class render by the best maximum', () => {
    expect(truthOf(card(6), ex(2, 8))).toMatchObject({
      ratio: 3,
      text: '3.00× the best of your 12 photos — stronger than any of them (mean activation)',
    });
    expect(truthOf(card(6, 'neuron'), ex(2, 8))?.ratio).toBe(0.75);
    expect(truthOf(card(4, 'logit'), ex(2, 8))?.text).toMatch(/^0\.50× .* weaker than any of them/);
  });

  it('is no ratio when no photo drives the channel above 0, and absent before the render or the examples', () => {
    expect(truthOf(card(6), ex(-1, 3))).toMatchObject({
      ratio: null,
      text: 'stronger than any of your 12 photos: none of them drives its mean activation above 0 (best -1.000)',
    });
    expect(truthOf(card(-2), ex(-1, 3))?.text).toMatch(/^no stronger than your best photo/);
    expect(truthOf(card(6), undefined)).toBeNull();
    expect(truthOf({ ...card(6), status: 'running' }, ex(2, 8))).toBeNull();
  });
});

describe('example requests', () => {
  it('gathers one turn’s channels into one request and does not ask again while it is in flight', async () => {
    const r = new ExampleRequests();
    const sent: [string, number[]][][] = [];
    const flush = (b: Map<string, Set<number>>) => sent.push([...b].map(([l, s]) => [l, [...s]]));
    r.gather('m', 'a', [1, 2], flush);
    r.gather('m', 'b', [5], flush);
    r.gather('m', 'a', [2, 3], flush);
    await Promise.resolve();
    expect(sent).toEqual([
      [
        ['a', [1, 2, 3]],
        ['b', [5]],
      ],
    ]);
    r.markAsked('m', 'a', [1, 2, 3], 7);
    r.gather('m', 'a', [1, 4], flush);
    await Promise.resolve();
    expect(sent[1]).toEqual([['a', [4]]]);
    r.failed(7);
    r.gather('m', 'a', [1], flush);
    await Promise.resolve();
    expect(sent[2]).toEqual([['a', [1]]]);
  });

  it('an export waits for its own answer, and a fresh worker fails it with the reason', async () => {
    const r = new ExampleRequests();
    const answer = r.wait(3);
    expect(r.settle(4, [])).toBe(false);
    expect(r.settle(3, [ex(1, 2)])).toBe(true);
    expect((await answer)[0].channel).toBe(3);
    const lost = r.wait(5);
    r.reset('the worker restarted');
    await expect(lost).rejects.toThrow('the worker restarted');
  });
});
