// The worker's scheduler (issue 10, item 2): a click preempts background work, which runs again afterwards.
import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, PRIORITY, type Job } from '../../src/lib/protocol.ts';
import { schedulerOn } from './scheduler-harness.ts';
import { model, SMALL } from './helpers.ts';

describe('scheduler', () => {
  it('a clicked job preempts a running background batch; the background jobs are requeued and finish later', async () => {
    const m = await model(SMALL);
    const { scheduler, log } = schedulerOn(m, SMALL);
    const settings = { ...DEFAULT_JOB_SETTINGS, steps: 200, size: 32 };
    const job = (id: string, channel: number, priority: number): Job => ({
      id,
      modelId: SMALL,
      layer: 'conv_pw_3_bn',
      channel,
      variant: 0,
      priority,
      settings,
    });
    scheduler.enqueue([job('bg0', 0, PRIORITY.background), job('bg1', 1, PRIORITY.background)]);
    await expect.poll(() => log.some((e) => e.type === 'snapshot' && e.id === 'bg0')).toBe(true);
    scheduler.enqueue([job('click', 5, PRIORITY.clicked + Date.now())]);
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(3);
    const order = log
      .filter((e) => e.type === 'job-started' || e.type === 'job-requeued' || e.type === 'job-done')
      .map((e) => `${e.type}:${(e as { id: string }).id}`);
    // The background batch stopped before finishing; the click started after it (jobs with the same settings may
    // join the click's batch), and every job finished.
    expect(order.indexOf('job-requeued:bg0')).toBeGreaterThan(-1);
    expect(order.indexOf('job-requeued:bg0')).toBeLessThan(order.indexOf('job-started:click'));
    expect(order.filter((o) => o.startsWith('job-done:')).sort()).toEqual(['job-done:bg0', 'job-done:bg1', 'job-done:click']);
    // The click's first snapshot came before the background batch could have finished its 200 steps.
    const firstClickSnap = log.findIndex((e) => e.type === 'snapshot' && e.id === 'click');
    const bgSnapsBefore = log
      .slice(0, firstClickSnap)
      .filter((e) => e.type === 'snapshot' && e.id === 'bg0')
      .map((e) => (e as { step: number }).step);
    expect(Math.max(...bgSnapsBefore)).toBeLessThan(200);
  });

  it('batches up to 8 on wasm and up to 16 on a hardware GPU backend (at 32 px)', async () => {
    const m = await model(SMALL);
    const settings = { ...DEFAULT_JOB_SETTINGS, steps: 8, size: 32 };
    const jobs: Job[] = Array.from({ length: 12 }, (_, channel) => ({
      id: `j${channel}`,
      modelId: SMALL,
      layer: 'conv_pw_3_bn',
      channel,
      variant: 0,
      priority: PRIORITY.background,
      settings,
    }));
    for (const [backend, first] of [
      ['wasm', 8],
      ['webgpu', 12],
    ] as const) {
      // The backend's name only picks the batch limit here: the model runs on Node's wasm either way.
      const { scheduler, log } = schedulerOn(m, SMALL, { backend });
      scheduler.enqueue(jobs);
      await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(12);
      const firstDone = log.findIndex((e) => e.type === 'job-done');
      expect(log.slice(0, firstDone).filter((e) => e.type === 'job-started')).toHaveLength(first);
      // Every job finished, once.
      const done = log.filter((e) => e.type === 'job-done') as Extract<(typeof log)[number], { type: 'job-done' }>[];
      expect(new Set(done.map((d) => d.id)).size).toBe(12);
    }
  });

  it('background work does not preempt background work, and a visible band does not preempt a click', async () => {
    const m = await model(SMALL);
    const { scheduler, log } = schedulerOn(m, SMALL);
    const settings = { ...DEFAULT_JOB_SETTINGS, steps: 48, size: 32 };
    const job = (id: string, priority: number): Job => ({
      id,
      modelId: SMALL,
      layer: 'conv_pw_3_bn',
      channel: 1,
      variant: 0,
      priority,
      settings: { ...settings, seed: id.length },
    });
    scheduler.enqueue([job('c', PRIORITY.clicked + 1)]);
    await expect.poll(() => log.some((e) => e.type === 'job-started')).toBe(true);
    scheduler.enqueue([job('vis', PRIORITY.visible + 2), job('bgbg', PRIORITY.background)]);
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(3);
    expect(log.some((e) => e.type === 'job-requeued')).toBe(false);
  });
});

describe('ETA', () => {
  it('is measured per layer, and a deeper layer not run yet is estimated as costlier per step', async () => {
    const m = await model(SMALL);
    const { scheduler, log } = schedulerOn(m, SMALL);
    const settings = { ...DEFAULT_JOB_SETTINGS, steps: 64, size: 32 };
    const job = (id: string, layer: string, priority: number): Job => ({
      id,
      modelId: SMALL,
      layer,
      channel: 0,
      variant: 0,
      priority,
      settings,
    });
    scheduler.enqueue([job('shallow', 'conv_pw_1_bn', 10), job('deep', 'conv_pw_11_bn', 1)]);
    await expect.poll(() => log.some((e) => e.type === 'snapshot' && e.id === 'shallow')).toBe(true);
    // The queue state posted right after the shallow job's first snapshot (the last one posted may come after the
    // shallow job has finished: at 32 px its 64 steps take well under a second).
    const firstSnap = log.findIndex((e) => e.type === 'snapshot' && e.id === 'shallow');
    const q = log.slice(firstSnap).find((e) => e.type === 'queue') as Extract<(typeof log)[number], { type: 'queue' }>;
    expect(q.state.etaMs).not.toBeNull();
    expect(Object.keys(q.state.etaByLayer).sort()).toEqual(['conv_pw_11_bn', 'conv_pw_1_bn']);
    // The deep layer's 64 steps are estimated to cost more than the shallow one's measured ms/step over 64 steps.
    expect(q.state.etaByLayer.conv_pw_11_bn).toBeGreaterThan(64 * q.state.msPerStep);
    // A layer's figure is when its last render will be done: the deep job runs after the shallow one, so its time
    // includes the shallow one's, and the queue is done when the deep one is.
    expect(q.state.etaByLayer.conv_pw_11_bn).toBeGreaterThan(q.state.etaByLayer.conv_pw_1_bn);
    expect(q.state.etaMs).toBeCloseTo(q.state.etaByLayer.conv_pw_11_bn, 6);
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(2);
  });

  it("costs a queued batch by its images, plus a batch's start-up learned from the batches before", async () => {
    const m = await model(SMALL);
    const { scheduler, log } = schedulerOn(m, SMALL);
    const settings = { ...DEFAULT_JOB_SETTINGS, steps: 64, size: 32 };
    const job = (id: string, channel: number, seed: number): Job => ({
      id,
      modelId: SMALL,
      layer: 'conv_pw_1_bn',
      channel,
      variant: 0,
      priority: 1,
      settings: { ...settings, seed },
    });
    // Two batches measure the layer (steady figures after each batch's first snapshot) and the start-up.
    scheduler.enqueue([job('a', 0, 1), job('b', 1, 1)]);
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(2);
    scheduler.enqueue([job('c', 0, 2)]);
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(3);
    scheduler.pause();
    const eta = () => {
      scheduler.postQueue();
      return (log.filter((e) => e.type === 'queue').at(-1) as Extract<(typeof log)[number], { type: 'queue' }>).state.etaMs!;
    };
    scheduler.enqueue([job('one', 2, 3)]);
    const one = eta();
    // Another seed: a batch of its own, four images.
    scheduler.enqueue([job('w', 0, 4), job('x', 1, 4), job('y', 2, 4), job('z', 3, 4)]);
    const four = eta() - one;
    // Start-up plus 4 × (64 image-steps) against start-up plus 64: more than 1.5× (equal when batches were costed per
    // batch-step whatever their size).
    expect(four / one).toBeGreaterThan(1.5);
    expect(four / one).toBeLessThan(4);
    scheduler.cancel('all');
    scheduler.resume();
  });
});
