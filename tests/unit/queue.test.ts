import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, jobKey, PRIORITY, type Job } from '../../src/lib/protocol.ts';
import { JobQueue } from '../../src/lib/queue.ts';

const job = (layer: string, channel: number, priority = 0, steps = 256): Job => {
  const j = { modelId: 'm', layer, channel, variant: 0, settings: { ...DEFAULT_JOB_SETTINGS, steps } };
  return { ...j, id: jobKey(j), priority };
};

describe('job queue', () => {
  it('batches jobs of the same layer and settings, most urgent first', () => {
    const q = new JobQueue();
    q.add([job('a', 0), job('b', 0), job('a', 1), job('a', 2, 0, 64), job('b', 1, 5)]);
    const first = q.takeBatch(8);
    expect(first.map((j) => [j.layer, j.channel])).toEqual([
      ['b', 1],
      ['b', 0],
    ]);
    const second = q.takeBatch(8);
    expect(second.map((j) => j.channel)).toEqual([0, 1]);
    expect(q.takeBatch(8).map((j) => j.settings.steps)).toEqual([64]);
    expect(q.takeBatch(8)).toEqual([]);
  });

  it('respects the batch size, de-duplicates, re-prioritizes and cancels', () => {
    const q = new JobQueue();
    const jobs = [0, 1, 2, 3, 4].map((c) => job('a', c));
    q.add(jobs);
    q.add([job('a', 0)]);
    expect(q.size).toBe(5);
    // Optimization steps left in batches of 2: three batches of 256.
    expect(q.plan(2).reduce((steps, batch) => steps + batch[0].settings.steps, 0)).toBe(3 * 256);
    q.prioritize([jobs[4].id], 10);
    expect(q.takeBatch(2).map((j) => j.channel)).toEqual([4, 0]);
    // Priorities can go down again (a band scrolled out of view) and a re-add keeps the higher one.
    q.prioritize([jobs[3].id], 5);
    q.prioritize([jobs[3].id], -1);
    q.add([{ ...jobs[2], priority: 3 }]);
    expect(q.takeBatch(1).map((j) => j.channel)).toEqual([2]);
    expect(q.takeBatch(1).map((j) => j.channel)).toEqual([1]);
    expect(q.remove([jobs[1].id, jobs[3].id])).toEqual([jobs[3].id]);
    expect(q.has(jobs[3].id)).toBe(false);
    q.add(jobs);
    expect(q.remove('all')).toHaveLength(5);
    expect(q.size).toBe(0);
  });

  it('plans the batches in the order it will take them, without taking any', () => {
    const q = new JobQueue();
    q.add([job('a', 0), job('b', 0, 3), job('a', 1), job('a', 2), job('b', 1), job('c', 0, 1)]);
    const plan = q.plan(2).map((b) => b.map((j) => `${j.layer}${j.channel}`));
    // b0 is the most urgent and takes b1 along; then c0; then a in batches of two, in submission order.
    expect(plan).toEqual([['b0', 'b1'], ['c0'], ['a0', 'a1'], ['a2']]);
    expect(q.size).toBe(6);
    const taken: string[][] = [];
    for (let b = q.takeBatch(2); b.length; b = q.takeBatch(2)) taken.push(b.map((j) => `${j.layer}${j.channel}`));
    expect(taken).toEqual(plan);
  });

  it("keeps a group's variants in one batch: a variant rendered apart from its group would be another image", () => {
    const q = new JobQueue();
    const three = { ...DEFAULT_JOB_SETTINGS, steps: 256, variants: 3, diversity: 100 };
    const variantOf = (channel: number, variant: number, priority = 0): Job => {
      const j = { modelId: 'm', layer: 'a', channel, variant, settings: three };
      return { ...j, id: jobKey(j), priority };
    };
    // Three groups of three (one of them bumped, one variant only) for batches of 8: never 8 = 3 + 3 + 2.
    q.add([0, 1, 2].flatMap((c) => [0, 1, 2].map((v) => variantOf(c, v))));
    q.prioritize([variantOf(2, 1).id], 5);
    const plan = q.plan(8).map((b) => b.map((j) => `${j.channel}.${j.variant}`));
    expect(plan).toEqual([
      ['2.1', '2.0', '2.2', '0.0', '0.1', '0.2'],
      ['1.0', '1.1', '1.2'],
    ]);
    // A group that does not fit waits; a smaller job behind it fills the batch.
    const r = new JobQueue();
    r.add([variantOf(0, 0), variantOf(0, 1), variantOf(0, 2), variantOf(1, 0), variantOf(1, 1), variantOf(1, 2)]);
    r.add([{ ...job('a', 7), settings: three, id: 'lone' }].map((j) => ({ ...j, channel: 7 })));
    expect(r.plan(4).map((b) => b.length)).toEqual([4, 3]);
    // A group larger than a batch (never asked for) is cut rather than never run.
    const cut = r.plan(2);
    expect(cut.flat()).toHaveLength(7);
    expect(Math.max(...cut.map((b) => b.length))).toBe(2);
  });

  it("batches a person's renders with each other only, not with the gallery's of the same layer and settings", () => {
    const q = new JobQueue();
    // The gallery's renders of a band (background, on screen), then two clicks on the same band.
    q.add([job('a', 0, PRIORITY.background), job('a', 1, PRIORITY.background), job('a', 2, PRIORITY.visible)]);
    q.add([job('a', 40, PRIORITY.clicked + 1), job('a', 41, PRIORITY.clicked + 2)]);
    expect(q.plan(8).map((b) => b.map((j) => j.channel))).toEqual([
      [41, 40],
      [2, 0, 1],
    ]);
    expect(q.takeBatch(8).map((j) => j.channel)).toEqual([41, 40]);
    // The gallery's own batch is whole as before.
    expect(q.takeBatch(8).map((j) => j.channel)).toEqual([2, 0, 1]);
  });

  it('leaves jobs for another model queued', () => {
    const q = new JobQueue();
    q.add([{ ...job('a', 0), modelId: 'next', id: 'x' }, job('a', 1)]);
    expect(q.takeBatch(8, 'm').map((j) => j.channel)).toEqual([1]);
    expect(q.takeBatch(8, 'm')).toEqual([]);
    expect(q.size).toBe(1);
    expect(q.takeBatch(8, 'next').map((j) => j.id)).toEqual(['x']);
  });

  it('keys jobs by every setting that changes the image', () => {
    const a = job('a', 1);
    const b = { ...a, settings: { ...a.settings, seed: 1 } };
    expect(jobKey(a)).not.toBe(jobKey(b));
    expect(jobKey(a)).toBe(jobKey({ ...a }));
  });
});
