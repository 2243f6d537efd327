import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { rankByProbe, timeStepLike, type ProbeTime } from '../../workers/backend-probe.ts';
import { useBackend } from '../../src/lib/node/backend.ts';

describe('the backend probe behind "auto"', () => {
  it('times the same step-shaped workload on each backend, ranks the faster first, and leaks nothing', async () => {
    const ms: Record<string, ProbeTime> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend([backend]);
      const before = tf.memory().numTensors;
      ms[backend] = await timeStepLike(backend === 'cpu' ? 1 : 3); // cpu: about 1.7 s a run
      expect(tf.memory().numTensors).toBe(before);
      expect(ms[backend].msPerImage).toBeGreaterThan(0);
      expect(ms[backend].batch).toBe(8);
    }
    // tfjs's plain-JavaScript cpu backend is many times slower than wasm at convolutions and matmuls.
    const { ranked, note } = rankByProbe(ms);
    expect(ranked).toEqual(['wasm', 'cpu']);
    expect(note).toMatch(
      /^probe, one step-shaped batch, per image: wasm [\d.]+ ms \(batch 8\), cpu [\d.]+ ms \(batch 8\); wasm runs, the fastest$/,
    );
    await useBackend(['wasm']);
  }, 120_000);

  it('says so when no backend finished the probe', () => {
    expect(rankByProbe({})).toEqual({ ranked: [], note: 'no backend finished the probe' });
  });
});
