// The worker's scheduler (issue 10, item 2): a click preempts background work, which waits and goes on afterwards.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, PRIORITY, type Job } from '../../src/lib/protocol.ts';
import { MAX_WAITING } from '../../workers/scheduler.ts';
import { schedulerOn } from './scheduler-harness.ts';
import { model, SMALL } from './helpers.ts';

type Log = ReturnType<typeof schedulerOn>['log'];
/** A render of `conv_pw_3_bn` on the small model. */
const job3 = (id: string, channel: number, priority: number, settings: Job['settings']): Job => ({
  id,
  modelId: SMALL,
  layer: 'conv_pw_3_bn',
  channel,
  variant: 0,
  priority,
  settings,
});
/** The last queue state the scheduler posted. */
const lastQueue = (log: Log) => log.filter((e) => e.type === 'queue').at(-1) as Extract<Log[number], { type: 'queue' }>;

describe('scheduler', () => {
  it('a clicked job preempts a running background batch, which waits with its steps kept and then finishes as it would have', async () => {
    const m = await model(SMALL);
    const settings = { ...DEFAULT_JOB_SETTINGS, steps: 200, size: 32 };
    const job = (id: string, channel: number, priority: number) => job3(id, channel, priority, settings);
    const { scheduler, log } = schedulerOn(m, SMALL);
    scheduler.enqueue([job('bg0', 0, PRIORITY.background), job('bg1', 1, PRIORITY.background)]);
    await expect.poll(() => log.some((e) => e.type === 'snapshot' && e.id === 'bg0')).toBe(true);
    scheduler.enqueue([job('click', 5, PRIORITY.clicked + Date.now())]);
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(3);
    const order = log
      .filter((e) => ['job-started', 'job-waiting', 'job-requeued', 'job-done'].includes(e.type))
      .map((e) => `${e.type}:${(e as { id: string }).id}`);
    // The background batch waited at a step before finishing; the click ran meanwhile and finished first; then the
    // background batch went on. Nothing started again from its first step.
    expect(order.filter((o) => o.startsWith('job-requeued'))).toEqual([]);
    const waited = order.indexOf('job-waiting:bg0');
    expect(waited).toBeGreaterThan(-1);
    expect(waited).toBeLessThan(order.indexOf('job-started:click'));
    expect(order.indexOf('job-done:click')).toBeLessThan(order.lastIndexOf('job-started:bg0'));
    expect(order.lastIndexOf('job-started:bg0')).toBeLessThan(order.indexOf('job-done:bg0'));
    expect(order.filter((o) => o.startsWith('job-done:')).sort()).toEqual(['job-done:bg0', 'job-done:bg1', 'job-done:click']);
    const bgSteps = log.filter((e) => e.type === 'snapshot' && e.id === 'bg0').map((e) => (e as { step: number }).step);
    expect(bgSteps).toEqual([16, 32, 64, 96, 128, 160, 192, 200]);
    // The click's first snapshot came before the background batch could have finished its 200 steps.
    const firstClickSnap = log.findIndex((e) => e.type === 'snapshot' && e.id === 'click');
    const bgSnapsBefore = log
      .slice(0, firstClickSnap)
      .filter((e) => e.type === 'snapshot' && e.id === 'bg0')
      .map((e) => (e as { step: number }).step);
    expect(Math.max(...bgSnapsBefore)).toBeLessThan(200);

    // Waiting changed nothing in the image: the same jobs rendered without a click end at the same objective values.
    const alone = schedulerOn(m, SMALL);
    alone.scheduler.enqueue([job('bg0', 0, PRIORITY.background), job('bg1', 1, PRIORITY.background)]);
    await expect.poll(() => alone.log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(2);
    const done = (l: typeof log, id: string) => l.find((e) => e.type === 'job-done' && e.id === id) as { value: number };
    expect(done(log, 'bg0').value).toBe(done(alone.log, 'bg0').value);
    expect(done(log, 'bg1').value).toBe(done(alone.log, 'bg1').value);
  });

  it('background work waits for a visible band, which waits for a click; a job cancelled while its batch waits gets no image, and no tensor is left', async () => {
    const m = await model(SMALL);
    const tensors = tf.memory().numTensors;
    const { scheduler, log } = schedulerOn(m, SMALL);
    const job = (id: string, channel: number, priority: number) =>
      job3(id, channel, priority, { ...DEFAULT_JOB_SETTINGS, steps: 160, size: 32 });
    const snapped = (id: string) => log.some((e) => e.type === 'snapshot' && e.id === id);
    scheduler.enqueue([job('bg', 0, PRIORITY.background), job('gone', 1, PRIORITY.background)]);
    await expect.poll(() => snapped('bg')).toBe(true);
    scheduler.enqueue([job('vis', 2, PRIORITY.visible + 1)]);
    await expect.poll(() => snapped('vis')).toBe(true);
    scheduler.enqueue([job('click', 3, PRIORITY.clicked + 1)]);
    await expect.poll(() => log.some((e) => e.type === 'job-waiting' && e.id === 'vis')).toBe(true);
    // Two batches wait now: their jobs count as pending, the click as running.
    const q = lastQueue(log);
    expect(q.state.running).toBe(1);
    expect(q.state.pending).toBe(3);
    scheduler.cancel(['gone']);
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(3);
    const done = log.filter((e) => e.type === 'job-done').map((e) => (e as { id: string }).id);
    expect(done).toEqual(['click', 'vis', 'bg']);
    expect(log.some((e) => e.type === 'job-requeued' || e.type === 'job-failed')).toBe(false);
    // Every render went on from its own last step: a snapshot's step never went back.
    for (const id of ['bg', 'vis', 'click']) {
      const steps = log.filter((e) => e.type === 'snapshot' && e.id === id).map((e) => (e as { step: number }).step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect(steps.at(-1)).toBe(160);
    }
    // Cancelled while its batch waited: it got no image.
    expect(log.some((e) => e.type === 'job-done' && e.id === 'gone')).toBe(false);
    await expect.poll(() => lastQueue(log).state).toMatchObject({ running: 0, pending: 0 });
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('cancelling everything while a batch waits for a click ends both; a pause while the click runs holds both', async () => {
    const m = await model(SMALL);
    const { scheduler, log } = schedulerOn(m, SMALL);
    const job = (id: string, channel: number, priority: number) =>
      job3(id, channel, priority, { ...DEFAULT_JOB_SETTINGS, steps: 512, size: 32 });
    const snaps = (id: string) => log.filter((e) => e.type === 'snapshot' && e.id === id).length;
    scheduler.enqueue([job('bg', 0, PRIORITY.background)]);
    await expect.poll(() => snaps('bg')).toBeGreaterThan(0);
    scheduler.enqueue([job('click', 1, PRIORITY.clicked + 1)]);
    await expect.poll(() => snaps('click')).toBeGreaterThan(0);
    scheduler.pause();
    const held = log.length;
    await new Promise((r) => setTimeout(r, 300));
    // Paused: neither the click nor the waiting batch took a step.
    expect(log.slice(held).some((e) => e.type === 'snapshot')).toBe(false);
    scheduler.resume();
    await expect.poll(() => snaps('click')).toBeGreaterThan(2);
    scheduler.cancel('all');
    await expect
      .poll(() => lastQueue(log).state)
      .toMatchObject({
        running: 0,
        pending: 0,
      });
    const after = log.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(log.slice(after).some((e) => e.type === 'snapshot' || e.type === 'job-done')).toBe(false);
    // The scheduler still works.
    scheduler.enqueue([job('next', 2, PRIORITY.clicked + 2)]);
    await expect.poll(() => log.some((e) => e.type === 'job-done' && e.id === 'next'), { timeout: 60_000 }).toBe(true);
  });

  it('a later request outranks a batch of several earlier ones (newest first), up to MAX_WAITING waiting; a single render finishes first', async () => {
    const m = await model(SMALL);
    const { scheduler, log } = schedulerOn(m, SMALL);
    // A request of two channels, in one batch (one seed per request: requests never share a batch).
    const request = (id: string, seed: number, priority: number, channels = [0, 1]): Job[] =>
      channels.map((channel) =>
        job3(`${id}${channel}`, channel, priority, { ...DEFAULT_JOB_SETTINGS, steps: 256, size: 32, seed }),
      );
    const snapped = (id: string) => log.some((e) => e.type === 'snapshot' && e.id === id);
    const names = ['A', 'B', 'C', 'D', 'E'];
    for (const [i, id] of names.entries()) {
      if (i) await expect.poll(() => snapped(`${names[i - 1]}0`), { timeout: 30_000 }).toBe(true);
      scheduler.enqueue(request(id, i, PRIORITY.clicked + 1 + i));
    }
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(10);
    const batchOf = (e: (typeof log)[number]) => (e as { id: string }).id[0];
    const waited = log.filter((e) => e.type === 'job-waiting').map(batchOf);
    // A, B and C waited; D could not be outranked (three were waiting), so E ran after it, before C went on.
    expect(MAX_WAITING).toBe(3);
    expect([...new Set(waited)]).toEqual(['A', 'B', 'C']);
    const done = log.filter((e) => e.type === 'job-done').map(batchOf);
    expect([...new Set(done)]).toEqual(['D', 'E', 'C', 'B', 'A']);
    // One render alone is not outranked by a later click: it finishes, then the click renders.
    const mark = log.length;
    scheduler.enqueue(request('F', 10, PRIORITY.clicked + 10, [0]));
    await expect.poll(() => snapped('F0')).toBe(true);
    scheduler.enqueue(request('G', 11, PRIORITY.clicked + 11, [0]));
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(12);
    const after = log.slice(mark);
    expect(after.some((e) => e.type === 'job-waiting')).toBe(false);
    expect(after.filter((e) => e.type === 'job-done').map(batchOf)).toEqual(['F', 'G']);
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
