import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, jobKey, type Job } from '../../src/lib/protocol.ts';
import { JobQueue } from '../../src/lib/queue.ts';
import { rankByProbe } from '../../workers/backend-probe.ts';
import { batchLimit, GPU_MAX_BATCH, MAX_BATCH, probeBatch } from '../../workers/batch-size.ts';

const job = (channel: number, size: number): Job => {
  const j = { modelId: 'm', layer: 'a', channel, variant: 0, settings: { ...DEFAULT_JOB_SETTINGS, size } };
  return { ...j, id: jobKey(j), priority: 0 };
};

describe('batch size per backend', () => {
  it('keeps batches of 8 on wasm, cpu and software GPUs, at any size', () => {
    for (const size of [64, 128, 256, 512]) {
      expect(batchLimit('wasm', false, size)).toBe(MAX_BATCH);
      expect(batchLimit('cpu', false, size)).toBe(MAX_BATCH);
      expect(batchLimit('webgl', true, size)).toBe(MAX_BATCH);
      expect(batchLimit('webgpu', true, size)).toBe(MAX_BATCH);
    }
  });

  it('lets a hardware GPU take larger batches, fewer as the images grow, never fewer than 8', () => {
    expect(batchLimit('webgpu', false, 64)).toBe(GPU_MAX_BATCH);
    expect(batchLimit('webgpu', false, 128)).toBe(GPU_MAX_BATCH);
    expect(batchLimit('webgl', false, 128)).toBe(GPU_MAX_BATCH);
    // The same pixels per batch as 16 images of 128 px.
    expect(batchLimit('webgpu', false, 144)).toBe(12);
    expect(batchLimit('webgpu', false, 160)).toBe(10);
    expect(batchLimit('webgpu', false, 192)).toBe(MAX_BATCH);
    expect(batchLimit('webgpu', false, 256)).toBe(MAX_BATCH);
    expect(batchLimit('webgl', false, 512)).toBe(MAX_BATCH);
  });

  it('the queue cuts batches at the limit for the head job’s size', () => {
    const q = new JobQueue();
    q.add([...Array.from({ length: 40 }, (_, c) => job(c, 128)), ...Array.from({ length: 22 }, (_, c) => job(c, 160))]);
    const limit = (size: number) => batchLimit('webgpu', false, size);
    expect(q.plan(limit).map((b) => [b.length, b[0].settings.size])).toEqual([
      [16, 128],
      [16, 128],
      [8, 128],
      [10, 160],
      [10, 160],
      [2, 160],
    ]);
    expect(q.takeBatch(limit)).toHaveLength(16);
    expect(q.takeBatch(8)).toHaveLength(8);
  });

  it('auto ranks backends by probe time per image, a GPU probed at a larger batch than wasm', () => {
    expect([probeBatch('wasm'), probeBatch('cpu'), probeBatch('webgl'), probeBatch('webgpu')]).toEqual([8, 8, 32, 32]);
    // The H200's probe of session 25, second run (each backend at its batch): WebGPU, then WebGL, then wasm — the order
    // of their 48-channel renders in the studio. The first run's probe at batch 8 everywhere had put wasm first.
    const { ranked, note } = rankByProbe({
      wasm: { msPerImage: 8.4, batch: 8 },
      webgpu: { msPerImage: 5.2, batch: 32 },
      webgl: { msPerImage: 7.3, batch: 32 },
    });
    expect(ranked).toEqual(['webgpu', 'webgl', 'wasm']);
    expect(note).toBe(
      'probe, one step-shaped batch, per image: webgpu 5.2 ms (batch 32), webgl 7.3 ms (batch 32), wasm 8.4 ms (batch 8); webgpu runs, the fastest',
    );
  });
});
