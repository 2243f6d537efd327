// tfjs's Node bundles as tfjs-load-hook.ts loads them: the threaded wasm glue starts one pthread worker per thread used,
// not its fixed 8, and Node reads none of the bundles' source maps.
import { describe, expect, it } from 'vitest';
import { runTs } from './run-cli.ts';

/** A fresh Node process starts the wasm backend on `threads` threads and reports what it started (wasm-start.ts). */
function startIn(threads: number): { threads: number; workers: number; sum: number } {
  const r = runTs('tests/unit/wasm-start.ts', [], { FEATURESCOPE_WASM_THREADS: String(threads) });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

// Every output of a 3×3 'same' conv of ones over 16 channels, summed: 144 inside, less on the border and corners.
const CONV_SUM = 16 * 16 * (62 * 62 * 9 + 4 * 62 * 6 + 4 * 4);

describe("the wasm backend's pthread workers in Node", () => {
  it('are as many as the threads asked for (2 and 3), and the threads compute', () => {
    for (const threads of [2, 3]) {
      const r = startIn(threads);
      expect(r.threads).toBe(threads);
      expect(r.workers).toBe(threads);
      expect(r.sum).toBe(CONV_SUM);
    }
  });

  it('are none when one thread is asked for (the single-threaded build)', () => {
    const r = startIn(1);
    expect([r.threads, r.workers, r.sum]).toEqual([1, 0, CONV_SUM]);
  });
});

describe("tfjs's source maps in Node", () => {
  /** A fresh Node process, with tsx's source maps on, loads tfjs after the hook or without it (source-maps-probe.ts). */
  const probe = (hook: boolean) => {
    const r = runTs('tests/unit/source-maps-probe.ts', hook ? ['hook'] : []);
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  };

  it("are not read after the hook, and our own TypeScript's stack lines stay mapped", () => {
    // Without the hook Node holds the map of tfjs's bundle: the probe can see the difference.
    expect(probe(false)).toEqual({ loaded: true, sourceMaps: true, tfjsMap: true, line: 10 });
    expect(probe(true)).toEqual({ loaded: true, sourceMaps: true, tfjsMap: false, line: 10 });
  });
});
