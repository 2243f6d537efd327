// Helper engines (workers/helper-engines.ts): the worker's batches of several channels on one engine per core. Here the
// helpers are served in this process over MessageChannels (render-helper.ts), each with its own copy of the model.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureModel } from '../../src/lib/engine/model.ts';
import { render, RenderCancelled, type RenderTarget, type Snapshot } from '../../src/lib/engine/render.ts';
import { fileReader } from '../../src/lib/node/files.ts';
import { ensureModel } from '../../src/lib/node/model-cache.ts';
import { modelInfo, registryEntry } from '../../src/lib/models/registry.ts';
import { DEFAULT_JOB_SETTINGS, PRIORITY, type Job } from '../../src/lib/protocol.ts';
import { HelperEngines, splitGroups, type SpawnedHelper } from '../../workers/helper-engines.ts';
import { RetryBatch } from '../../workers/lockstep-batch.ts';
import type { HelperPort, ModelPackage } from '../../workers/helper-protocol.ts';
import { serveHelper } from '../../workers/render-helper.ts';
import { rememberReads } from '../../workers/sources.ts';
import { schedulerOn } from './scheduler-harness.ts';
import { model as registryModel, SMALL } from './helpers.ts';

describe('splitGroups', () => {
  it('cuts a batch into runs of whole groups of about equal size, in order, every image once', () => {
    expect(splitGroups([0, 1, 2, 3, 4, 5, 6, 7], 2)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(splitGroups([0, 1, 2], 2)).toEqual([[0], [1, 2]]);
    // Variants of one target (one group) are never split.
    for (const [groups, parts] of [
      [[0, 0, 1, 1, 2, 2], 2],
      [[0, 0, 0, 0, 1, 1, 1, 1], 4],
      [[0, 1, 1, 1, 1, 1, 2], 2],
    ] as [number[], number][]) {
      const out = splitGroups(groups, parts);
      expect(out.flat()).toEqual(groups.map((_, i) => i));
      expect(out.length).toBeLessThanOrEqual(parts);
      for (const part of out) expect(part.length).toBeGreaterThan(0);
      for (let i = 1; i < groups.length; i++)
        if (groups[i] === groups[i - 1])
          expect(out.findIndex((p) => p.includes(i))).toBe(out.findIndex((p) => p.includes(i - 1)));
    }
    // One group (a click): one part, nothing for helpers.
    expect(splitGroups([0], 2)).toEqual([[0]]);
    expect(splitGroups([0, 0, 0, 0], 2)).toEqual([[0, 1, 2, 3]]);
  });
});

/**
 * Helpers served in this process: each a MessageChannel's far end. `fail(i)` makes helper i die as a crashed worker;
 * `hang(i)` makes it stuck (it gets no more "go", so it says nothing more).
 */
function inProcess() {
  const spawned: (SpawnedHelper & { closed: boolean; stuck: boolean })[] = [];
  const spawn = (): SpawnedHelper => {
    const ch = new MessageChannel();
    serveHelper(ch.port2 as unknown as HelperPort, Promise.resolve());
    const h = {
      closed: false,
      stuck: false,
      onerror: null as SpawnedHelper['onerror'],
      postMessage: (m: unknown, transfer?: Transferable[]) => {
        if (h.stuck && (m as { type: string }).type === 'go') return;
        ch.port1.postMessage(m, transfer ?? []);
      },
      set onmessage(f: ((ev: MessageEvent) => void) | null) {
        ch.port1.onmessage = f;
      },
      get onmessage() {
        return ch.port1.onmessage;
      },
      terminate() {
        h.closed = true;
        ch.port1.close();
        ch.port2.close();
      },
    };
    spawned.push(h);
    return h;
  };
  return {
    spawned,
    spawn,
    fail: (i: number) => spawned[i].onerror?.({ message: 'the helper crashed (test)' }),
    hang: (i: number) => (spawned[i].stuck = true),
  };
}

/** The small model loaded here, and the files it was loaded from, as the worker keeps them for its helpers. */
async function withPackage(): Promise<{ model: FeatureModel; pkg: ModelPackage }> {
  await registryModel(SMALL); // the wasm backend, started as the other tests start it
  const registered = registryEntry(SMALL)!;
  const dir = await ensureModel(registered);
  const { read, entry } = fileReader(join(dir, 'model.json'));
  const remembered = rememberReads(read);
  const info = modelInfo(registered);
  const model = await FeatureModel.load(remembered, info, entry);
  return { model, pkg: { entry, files: remembered.held(), info } };
}

const SETTINGS = { layer: 'conv_pw_3_bn', size: 32, steps: 20, seed: 3, thresholds: [8, 16] };
const TARGETS: RenderTarget[] = [0, 1, 2, 3].map((index) => ({ index }));

describe('helper engines', async () => {
  const { model, pkg } = await withPackage();
  afterAll(() => model.dispose());

  async function readyPool(count = 2, stallMs?: number) {
    const h = inProcess();
    const pool = new HelperEngines({ spawn: h.spawn, count, stallMs });
    pool.offer(model, pkg);
    // The first batch that could use them starts them and runs here meanwhile.
    const first = pool.render(model, SETTINGS, TARGETS, {});
    expect(first.engines).toBe(1);
    await first.result;
    await expect.poll(() => pool.readyEngines, { timeout: 60_000 }).toBe(count);
    return { pool, ...h };
  }

  it('render a batch in parts, one step per gate, with the same images, values and curve as one engine', async () => {
    const { pool, spawned } = await readyPool();
    const gates: number[] = [];
    const snaps: Snapshot[] = [];
    let step = 0;
    const run = pool.render(model, SETTINGS, TARGETS, {
      gate: () => void gates.push(++step),
      onSnapshot: (s) => snaps.push(s),
      curveEvery: 4,
    });
    expect(run.engines).toBe(2);
    const got = await run.result;
    const localSnaps: Snapshot[] = [];
    const want = await render(model, SETTINGS, TARGETS, { onSnapshot: (s) => localSnaps.push(s), curveEvery: 4 });
    expect(gates).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(snaps.map((s) => s.step)).toEqual([8, 16, 20]);
    expect(snaps.map((s) => s.values)).toEqual(localSnaps.map((s) => s.values));
    for (const [i, s] of snaps.entries())
      for (const t of TARGETS.keys()) expect(Buffer.from(s.images[t]).equals(Buffer.from(localSnaps[i].images[t]))).toBe(true);
    expect(got.cleanValues).toEqual(want.cleanValues);
    expect(got.curve).toEqual(want.curve);
    // The images differ from channel to channel: the parts were not mixed up.
    expect(Buffer.from(snaps[2].images[0]).equals(Buffer.from(snaps[2].images[3]))).toBe(false);
    pool.offer(null, null);
    expect(spawned.every((h) => h.closed)).toBe(true);
  });

  it('another model offered mid-batch: the batch finishes on the old one, then the helpers hold the new one', async () => {
    const { pool } = await readyPool();
    const other = await withPackage();
    let step = 0;
    const run = pool.render(model, SETTINGS, TARGETS, {
      gate: () => {
        if (++step === 5) pool.offer(other.model, other.pkg);
      },
    });
    expect(run.engines).toBe(2);
    const want = await render(model, SETTINGS, TARGETS, {});
    expect((await run.result).cleanValues).toEqual(want.cleanValues);
    // The old model is not the helpers' any more: its batches run here; the new one's on the helpers once loaded.
    const old = pool.render(model, SETTINGS, TARGETS, {});
    expect(old.engines).toBe(1);
    await old.result;
    await expect.poll(() => pool.readyEngines, { timeout: 60_000 }).toBe(2);
    const next = pool.render(other.model, SETTINGS, TARGETS, {});
    expect(next.engines).toBe(2);
    expect((await next.result).cleanValues).toEqual(want.cleanValues);
    pool.offer(null, null);
    other.model.dispose();
  });

  it('a cancel or a gate that throws ends every helper’s part, and the next batch runs on them', async () => {
    const { pool } = await readyPool();
    const abort = new AbortController();
    let step = 0;
    const cancelled = pool.render(model, SETTINGS, TARGETS, {
      signal: abort.signal,
      gate: () => {
        if (++step === 5) abort.abort();
      },
    });
    await expect(cancelled.result).rejects.toBeInstanceOf(RenderCancelled);
    const gateError = new Error('the turn was taken');
    step = 0;
    const thrown = pool.render(model, SETTINGS, TARGETS, {
      gate: () => {
        if (++step === 3) throw gateError;
      },
    });
    await expect(thrown.result).rejects.toBe(gateError);
    const next = pool.render(model, SETTINGS, TARGETS, {});
    expect(next.engines).toBe(2);
    expect((await next.result).cleanValues).toHaveLength(4);
    pool.offer(null, null);
  });

  it('a paused gate holds every helper: no snapshot until it resumes', async () => {
    const { pool } = await readyPool();
    let resume!: () => void;
    let step = 0;
    const snapAt: number[] = [];
    let resumedAt = 0;
    const run = pool.render(model, { ...SETTINGS, thresholds: [4] }, TARGETS, {
      gate: () =>
        ++step === 3
          ? new Promise<void>((r) => {
              resume = () => {
                resumedAt = performance.now();
                r();
              };
            })
          : undefined,
      onSnapshot: () => snapAt.push(performance.now()),
    });
    await expect.poll(() => step).toBe(3);
    await new Promise((r) => setTimeout(r, 300));
    expect(snapAt).toEqual([]);
    resume();
    await run.result;
    expect(snapAt[0]).toBeGreaterThan(resumedAt);
    pool.offer(null, null);
  });

  it('a helper that dies ends the batch with RetryBatch; the helpers stay off and batches run here', async () => {
    const { pool, spawned, fail } = await readyPool();
    let step = 0;
    const run = pool.render(model, SETTINGS, TARGETS, {
      gate: () => {
        if (++step === 6) fail(1);
      },
    });
    await expect(run.result).rejects.toBeInstanceOf(RetryBatch);
    expect(spawned.every((h) => h.closed)).toBe(true);
    expect(pool.stopped).toMatch(/the helper crashed \(test\)/);
    const next = pool.render(model, SETTINGS, TARGETS, {});
    expect(next.engines).toBe(1);
    await next.result;
    // Another model (here: the same one offered again) gets fresh helpers.
    pool.offer(model, pkg);
    expect(pool.stopped).toBeNull();
    pool.offer(null, null);
  });

  it('a helper that stops answering mid-batch is taken for stuck; a pause longer than that is not', async () => {
    const { pool, spawned, hang } = await readyPool(2, 1000);
    let step = 0;
    const paused = pool.render(model, SETTINGS, TARGETS, {
      gate: () => (++step === 4 ? new Promise<void>((r) => setTimeout(r, 2500)) : undefined),
    });
    expect((await paused.result).cleanValues).toHaveLength(4);
    step = 0;
    const run = pool.render(model, SETTINGS, TARGETS, {
      gate: () => {
        if (++step === 6) hang(1);
      },
    });
    await expect(run.result).rejects.toBeInstanceOf(RetryBatch);
    expect(pool.stopped).toMatch(/did not answer for 1 s/);
    expect(spawned.every((x) => x.closed)).toBe(true);
  });

  it('a helper that cannot load the model stops the helpers, and says why', async () => {
    const h = inProcess();
    const pool = new HelperEngines({ spawn: h.spawn, count: 2 });
    const broken: ModelPackage = { ...pkg, files: pkg.files.filter(([p]) => p === 'model.json') };
    pool.offer(model, broken);
    await pool.render(model, SETTINGS, TARGETS, {}).result;
    await expect.poll(() => pool.stopped, { timeout: 30_000 }).toMatch(/could not load the model/);
    const here = pool.render(model, SETTINGS, TARGETS, {});
    expect(here.engines).toBe(1);
    await here.result;
  });

  it('leaves no tensors behind in this process across helper batches', async () => {
    const { pool } = await readyPool();
    await pool.render(model, SETTINGS, TARGETS, {}).result;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await pool.render(model, SETTINGS, TARGETS, {}).result;
    expect(tf.memory().numTensors).toBe(before);
    pool.offer(null, null);
  });

  it('a batch rendered on the helpers while another waits there at a step: both give the images of one engine', async () => {
    const h = inProcess();
    const pool = new HelperEngines({ spawn: h.spawn, count: 2 });
    pool.offer(model, pkg);
    // A first batch starts the helpers.
    await pool.render(model, SETTINGS, TARGETS, {}).result;
    await expect.poll(() => pool.readyEngines, { timeout: 60_000 }).toBe(2);
    const other = { ...SETTINGS, layer: 'conv_pw_5_bn', seed: 9 };
    const inner: RenderTarget[] = [4, 5, 6].map((index) => ({ index }));
    let innerResult: Awaited<ReturnType<typeof render>> | null = null;
    let gates = 0;
    const outer = pool.render(model, SETTINGS, TARGETS, {
      gate: async () => {
        // At step 7 the batch waits while another renders to its end on the same helpers.
        if (++gates === 7) {
          const run = pool.render(model, other, inner, {});
          expect(run.engines).toBe(2);
          innerResult = await run.result;
        }
      },
    });
    expect(outer.engines).toBe(2);
    const outerResult = await outer.result;
    const alone = [await render(model, SETTINGS, TARGETS), await render(model, other, inner)];
    for (const [got, want] of [
      [outerResult, alone[0]],
      [innerResult!, alone[1]],
    ] as const) {
      expect(got.cleanValues).toEqual(want.cleanValues);
      expect(got.final.images.map((i) => Buffer.from(i).toString('base64'))).toEqual(
        want.final.images.map((i) => Buffer.from(i).toString('base64')),
      );
    }
  });

  it('in the scheduler: a click outranking a batch on the helpers runs on them too, while that batch waits there', async () => {
    const h = inProcess();
    const pool = new HelperEngines({ spawn: h.spawn, count: 2 });
    pool.offer(model, pkg);
    const { scheduler, log } = schedulerOn(model, 'k', { render: (m, s, t, o) => pool.render(m, s, t, o) });
    const job = (id: string, channel: number, priority: number, steps = 40): Job => ({
      id,
      modelId: 'k',
      layer: 'conv_pw_3_bn',
      channel,
      variant: 0,
      priority,
      settings: { ...DEFAULT_JOB_SETTINGS, steps, size: 32 },
    });
    // A first batch starts the helpers.
    scheduler.enqueue([0, 1].map((c) => job(`a${c}`, c, PRIORITY.clicked)));
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(2);
    await expect.poll(() => pool.readyEngines, { timeout: 60_000 }).toBe(2);
    const engines = () => log.filter((e) => e.type === 'queue').map((e) => e.state.engines);
    scheduler.enqueue([2, 3, 4].map((c) => job(`bg${c}`, c, PRIORITY.background, 160)));
    await expect.poll(() => log.some((e) => e.type === 'snapshot' && e.id === 'bg2')).toBe(true);
    expect(engines().at(-1)).toBe(2);
    const mark = log.length;
    scheduler.enqueue([5, 6].map((c) => job(`c${c}`, c, PRIORITY.clicked + 1)));
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(7);
    const after = log.slice(mark);
    const at = (type: string, id: string) => after.findIndex((e) => e.type === type && (e as { id?: string }).id === id);
    // The click's batch of two ran on the helpers beside the waiting batch, which then went on there.
    expect(at('job-waiting', 'bg2')).toBeLessThan(at('job-started', 'c5'));
    expect(at('job-done', 'c5')).toBeLessThan(at('job-done', 'bg2'));
    const clickQueue = after.slice(at('job-started', 'c5'), at('job-done', 'c5')).filter((e) => e.type === 'queue');
    expect(clickQueue.length).toBeGreaterThan(0);
    expect(clickQueue.every((e) => (e as { state: { engines: number } }).state.engines === 2)).toBe(true);
    expect(log.some((e) => e.type === 'job-requeued' || e.type === 'job-failed')).toBe(false);
    const bgSteps = log.filter((e) => e.type === 'snapshot' && e.id === 'bg2').map((e) => (e as { step: number }).step);
    expect(bgSteps).toEqual([16, 32, 64, 96, 128, 160]);
    // The next batch of several goes to the helpers as well.
    scheduler.enqueue([7, 8].map((c) => job(`d${c}`, c, PRIORITY.clicked + 2)));
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(9);
    const last = log.slice(log.findIndex((e) => e.type === 'job-started' && e.id === 'd7'));
    expect(last.some((e) => e.type === 'queue' && e.state.engines === 2)).toBe(true);
  });

  it('in the scheduler: a batch on helpers whose helper dies goes back to the queue and finishes here', async () => {
    const h = inProcess();
    const pool = new HelperEngines({ spawn: h.spawn, count: 2 });
    pool.offer(model, pkg);
    let failAt: number | null = null;
    const { scheduler, log } = schedulerOn(model, 'k', {
      render: (m, s, t, o) =>
        pool.render(m, s, t, {
          ...o,
          gate: () => {
            if (failAt !== null && --failAt === 0) h.fail(0);
            return o.gate?.();
          },
        }),
    });
    const job = (id: string, channel: number): Job => ({
      id,
      modelId: 'k',
      layer: 'conv_pw_3_bn',
      channel,
      variant: 0,
      priority: PRIORITY.clicked,
      settings: { ...DEFAULT_JOB_SETTINGS, steps: 40, size: 32 },
    });
    scheduler.enqueue([0, 1, 2].map((c) => job(`a${c}`, c)));
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(3);
    await expect.poll(() => pool.readyEngines, { timeout: 60_000 }).toBe(2);
    failAt = 10;
    scheduler.enqueue([3, 4, 5].map((c) => job(`b${c}`, c)));
    await expect.poll(() => log.filter((e) => e.type === 'job-done').length, { timeout: 60_000 }).toBe(6);
    const requeued = log.filter((e) => e.type === 'job-requeued').map((e) => (e as { id: string }).id);
    expect(requeued.sort()).toEqual(['b3', 'b4', 'b5']);
    expect(log.some((e) => e.type === 'notice' && /helper engine stopped.*crashed/.test(e.message))).toBe(true);
    expect(log.some((e) => e.type === 'job-failed')).toBe(false);
    // While the batch ran on the helpers the queue said so.
    expect(log.some((e) => e.type === 'queue' && e.state.engines === 2)).toBe(true);
  });
});
