/**
 * The render pool's scheduling (node/render-pool.ts) with stand-in engines, and one real render thread: batches are
 * each rendered once, a helper that cannot start or dies costs only speed, a render's own error ends the run.
 */
import { describe, expect, it } from 'vitest';
import type { RenderResult, RenderTarget } from '../../src/lib/engine/render.ts';
import { DEFAULT_SETTINGS } from '../../src/lib/engine/render-settings.ts';
import { batchGroups, EngineLost, enginesFor, runBatches, threadEngine, type Engine } from '../../src/lib/node/render-pool.ts';

const settings = { ...DEFAULT_SETTINGS, layer: 'x' };
const tick = () => new Promise<void>((r) => setTimeout(r, 5));

/** A result whose clean values name the targets it rendered and the engine that rendered them. */
function resultOf(targets: RenderTarget[], engine: string): RenderResult {
  return {
    final: { step: 1, images: [], values: [], width: 1, height: 1 },
    cleanValues: targets.map((t) => t.index),
    curve: [{ step: 0, values: [engine.charCodeAt(0)] }],
    seconds: 0,
  };
}

/** A stand-in engine: `behave` may throw or wait, per call. */
function fakeEngine(name: string, behave: (call: number) => Promise<void> | void = tick, ready = Promise.resolve()): Engine {
  let calls = 0;
  return {
    ready,
    render: async (_s, targets) => {
      await behave(calls++);
      return resultOf(targets, name);
    },
    close: () => {},
  };
}

const batches = (n: number): RenderTarget[][] => Array.from({ length: n }, (_, i) => [{ index: 2 * i }, { index: 2 * i + 1 }]);

async function collect(engines: Engine[], n: number) {
  const got = new Map<number, { values: number[]; by: string }>();
  const lost: string[] = [];
  await runBatches(engines, settings, batches(n), {
    onResult: (b, r) => {
      expect(got.has(b)).toBe(false);
      got.set(b, { values: r.cleanValues, by: String.fromCharCode(r.curve[0].values[0]) });
    },
    onEngineLost: (why) => lost.push(why),
  });
  return { got, lost };
}

describe('render pool', () => {
  it('uses one engine per core for several channels, one for a single channel, and what --engines asks', () => {
    expect(enginesFor(8, 2)).toBe(2);
    expect(enginesFor(1, 2)).toBe(1);
    expect(enginesFor(8, 2, 1)).toBe(1);
    expect(enginesFor(3, 16)).toBe(3);
    expect(enginesFor(64, 32)).toBe(8); // each engine holds a model and a heap: 8 unless asked
    expect(enginesFor(64, 32, 16)).toBe(16);
  });

  it('shares a batch of whole groups out among the engines', () => {
    const singles = Array.from({ length: 8 }, (_, i) => [i]);
    expect(batchGroups(singles, 8, 2)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(batchGroups(singles, 8, 1)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    expect(batchGroups(singles.slice(0, 3), 8, 2)).toEqual([[0, 1], [2]]);
    expect(batchGroups(singles, 2, 2)).toEqual([[0], [1], [2], [3], [4], [5], [6], [7]]);
    // Groups of two variants: a batch of 8 holds 4 groups, 2 per engine; a group is never split.
    const pairs = [0, 1, 2].map((c) => [`${c}a`, `${c}b`]);
    expect(batchGroups(pairs, 8, 2)).toEqual([
      ['0a', '0b', '1a', '1b'],
      ['2a', '2b'],
    ]);
    expect(batchGroups(pairs, 3, 2)).toEqual([
      ['0a', '0b'],
      ['1a', '1b'],
      ['2a', '2b'],
    ]);
    expect(batchGroups([], 8, 2)).toEqual([]);
  });

  it('renders every batch exactly once, shared among the engines', async () => {
    const { got, lost } = await collect([fakeEngine('a'), fakeEngine('b')], 6);
    expect([...got.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const [b, r] of got) expect(r.values).toEqual([2 * b, 2 * b + 1]);
    expect(new Set([...got.values()].map((r) => r.by))).toEqual(new Set(['a', 'b']));
    expect(lost).toEqual([]);
  });

  it('goes on without a helper that cannot start, and says why', async () => {
    const broken = Promise.reject(new Error('out of memory'));
    broken.catch(() => {});
    const { got, lost } = await collect([fakeEngine('a'), fakeEngine('b', tick, broken)], 3);
    expect([...got.values()].map((r) => r.by)).toEqual(['a', 'a', 'a']);
    expect(lost).toEqual(['out of memory']);
  });

  it('renders a lost engine’s batch again on another, even one that had finished its own', async () => {
    // b dies on its first batch after a finished its only one: a must take it up from waiting.
    const dying = fakeEngine('b', async () => {
      await new Promise((r) => setTimeout(r, 40));
      throw new EngineLost('render thread stopped (exit code 1)');
    });
    const { got, lost } = await collect([fakeEngine('a'), dying], 2);
    expect([...got.keys()].sort()).toEqual([0, 1]);
    expect([...got.values()].every((r) => r.by === 'a')).toBe(true);
    expect(lost).toEqual(['render thread stopped (exit code 1)']);
  });

  it('ends the run on a render’s own error, and closes every engine', async () => {
    const closed: string[] = [];
    const engine = (name: string, fail: boolean): Engine => ({
      ...fakeEngine(name, async () => {
        await tick();
        if (fail) throw Object.assign(new Error('layer "x" has no channel 900'), { name: 'EngineError' });
      }),
      close: () => void closed.push(name),
    });
    await expect(collect([engine('a', false), engine('b', true)], 4)).rejects.toThrow('no channel 900');
    expect(closed.sort()).toEqual(['a', 'b']);
  });

  it('a render thread that cannot load its model says why', async () => {
    const engine = threadEngine({ model: '/nonexistent/model.json' });
    await expect(engine.ready).rejects.toThrow(/does not exist|no such file|ENOENT/i);
    engine.close();
  }, 30_000);
});
