// The studio's model lifecycle and worker client, driven without a browser: a fake worker records what it is sent
// and answers when the test says so.
import { describe, expect, it } from 'vitest';
import type { FromWorker, GpuProbes, LoadSpec, ToWorker } from '../../src/lib/protocol.ts';
import { JobBook } from '../../src/lib/studio/job-book.ts';
import { ModelLifecycle, type ModelState } from '../../src/lib/studio/lifecycle.ts';
import { WorkerClient, type WorkerLike } from '../../src/lib/studio/worker-client.ts';

class FakeWorker implements WorkerLike {
  sent: ToWorker[] = [];
  terminated = false;
  onmessage: ((ev: MessageEvent<FromWorker>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  postMessage(m: unknown) {
    this.sent.push(m as ToWorker);
  }
  terminate() {
    this.terminated = true;
  }
  reply(m: FromWorker) {
    this.onmessage?.({ data: m } as MessageEvent<FromWorker>);
  }
  crash(message = 'boom') {
    this.onerror?.({ message, preventDefault() {} } as ErrorEvent);
  }
  loads() {
    return this.sent.filter((m): m is Extract<ToWorker, { type: 'load' }> => m.type === 'load');
  }
}

const registry = (id: string): LoadSpec => ({
  kind: 'registry',
  modelId: id,
  baseUrl: `/models/${id}/`,
  info: { id, inputRange: [-1, 1] },
});
const files = (name: string): LoadSpec => ({
  kind: 'user',
  modelId: `user:${name}`,
  source: { kind: 'url', url: `/x/${name}/model.json` },
  mapping: { inputRange: [0, 1] },
  keepAs: name,
});
const SWIFTSHADER = { available: true, renderer: 'SwiftShader', software: true };
/** A worker's report that it runs WebGL on SwiftShader, with what its GPU probe saw. */
const webglReady = (gpus: GpuProbes): FromWorker => ({
  type: 'ready',
  backend: 'webgl',
  threads: null,
  simd: null,
  renderer: 'SwiftShader',
  note: null,
  software: true,
  softwareGpu: true,
  gpus,
});
const layer = (name: string) => ({
  name,
  kind: 'Conv2D',
  depth: 0,
  shape: [8, 8, 4] as [number, number, number],
  stride: 1,
  receptiveField: 3,
  logits: false,
});

/** A studio in miniature: client + lifecycle + job book, wired as studio.svelte.ts wires them. */
function harness(timers?: { fire(): void }) {
  const workers: FakeWorker[] = [];
  const notes: string[] = [];
  const states: ModelState[] = [];
  const book = new JobBook();
  const running = new Set<string>();
  const failed: string[] = [];
  let pending: (() => void) | null = null;
  const client: WorkerClient = new WorkerClient(
    () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    {
      message: (m) => {
        if (m.type === 'model' || m.type === 'model-error') life.onReply(m);
        if (m.type === 'broken') client.replace('broken', m.message);
        if (m.type === 'job-started') running.add(m.id);
        if (m.type === 'job-done') {
          running.delete(m.id);
          book.finished(m.id);
        }
      },
      replaced: (why) => {
        const crashed = why === 'crash' || why === 'broken';
        for (const id of [...running]) {
          running.delete(id);
          if (crashed && book.crashedDuring(id)) failed.push(id);
        }
        life.workerReplaced(crashed);
        if (book.outstanding.size) client.send({ type: 'enqueue', jobs: [...book.outstanding.values()] });
      },
      gaveUp: (reason) => notes.push(`gave up: ${reason}`),
    },
    'wasm',
    {
      answerMs: 100,
      timers: {
        set: (f) => {
          pending = f;
          return 1;
        },
        clear: () => {
          pending = null;
        },
      },
    },
  );
  if (timers) timers.fire = () => pending?.();
  const life = new ModelLifecycle({
    send: (m) => client.send(m),
    changed: (s) => states.push(s),
    note: (_k, t) => notes.push(t),
  });
  client.start();
  const w = () => workers[workers.length - 1];
  const answer = (worker: FakeWorker, req: number, id: string, key = id) =>
    worker.reply({
      type: 'model',
      req,
      modelId: id,
      key,
      layers: [layer(`${id}-conv`)],
      inputShape: [8, 8, 3],
      labels: null,
      labelOffset: 0,
    });
  const fail = (worker: FakeWorker, req: number, id: string, message = 'HTTP 404') =>
    worker.reply({ type: 'model-error', req, modelId: id, message });
  return { client, life, workers, w, notes, states, book, failed, answer, fail };
}

describe('model lifecycle', () => {
  it('goes idle → loading → ready, and the bands are the loaded model’s own', () => {
    const h = harness();
    expect(h.life.state.phase).toBe('idle');
    const req = h.life.load(registry('a'));
    expect(h.life.state).toMatchObject({ phase: 'loading', id: 'a' });
    h.answer(h.w(), req, 'a');
    expect(h.life.state).toMatchObject({ phase: 'ready', id: 'a' });
    expect(h.life.shown?.layers[0].name).toBe('a-conv');
  });

  it('a registry model and a kept one open again by their id on a later visit; a link’s model, not kept, does not', () => {
    const h = harness();
    const ready = () => (h.life.state as Extract<ModelState, { phase: 'ready' }>).model;
    h.answer(h.w(), h.life.load(registry('a')), 'a');
    expect(ready().reopenable).toBe(true);
    h.answer(h.w(), h.life.load(files('mine')), 'user:mine');
    expect(ready().reopenable).toBe(true);
    const link: LoadSpec = {
      kind: 'user',
      modelId: 'user:theirs',
      source: { kind: 'url', url: '/x/theirs/model.json' },
      mapping: { inputRange: [0, 1] },
      keepAs: null,
    };
    h.answer(h.w(), h.life.load(link), 'user:theirs');
    expect(ready().reopenable).toBe(false);
    const stored: LoadSpec = { ...link, modelId: 'user:mine', source: { kind: 'stored', name: 'mine' } } as LoadSpec;
    h.answer(h.w(), h.life.load(stored), 'user:mine');
    expect(ready().reopenable).toBe(true);
  });

  it('switch during load: the older reply is ignored, the newer one wins (item 1, 3)', () => {
    const h = harness();
    const a = h.life.load(registry('a'));
    h.answer(h.w(), a, 'a');
    const b = h.life.load(registry('b'));
    const c = h.life.load(registry('c'));
    // B answers late: stale, changes nothing — still loading C, and B's layers never appear under C's id.
    expect(
      h.life.onReply({
        type: 'model',
        req: b,
        modelId: 'b',
        key: 'b',
        layers: [layer('b-conv')],
        inputShape: [8, 8, 3],
        labels: null,
        labelOffset: 0,
      }),
    ).toBe(false);
    expect(h.life.state).toMatchObject({ phase: 'loading', id: 'c' });
    expect(h.life.shown?.id).toBe('a');
    h.answer(h.w(), c, 'c');
    expect(h.life.state).toMatchObject({ phase: 'ready', id: 'c' });
    expect((h.life.state as Extract<ModelState, { phase: 'ready' }>).model.layers[0].name).toBe('c-conv');
  });

  it('a slow failure of A after picking B neither says "still on A" nor drops B (item 3)', () => {
    const h = harness();
    const a = h.life.load(registry('a'));
    const b = h.life.load(registry('b'));
    h.fail(h.w(), a, 'a');
    expect(h.notes.join(' ')).not.toMatch(/Still on/);
    expect(h.life.state).toMatchObject({ phase: 'loading', id: 'b' });
    h.answer(h.w(), b, 'b');
    expect(h.life.state).toMatchObject({ phase: 'ready', id: 'b' });
  });

  it('a failed load goes back to the model the worker holds; with none, it is failed; then another switch works', () => {
    const h = harness();
    const bad = h.life.load(registry('bad'));
    h.fail(h.w(), bad, 'bad');
    expect(h.life.state).toMatchObject({ phase: 'failed', id: 'bad', reason: 'HTTP 404' });
    const a = h.life.load(registry('a'));
    h.answer(h.w(), a, 'a');
    const bad2 = h.life.load(registry('bad'));
    h.fail(h.w(), bad2, 'bad');
    expect(h.life.state).toMatchObject({ phase: 'ready', id: 'a' });
    expect(h.notes).toContain('Still on a.');
  });

  it('backend change during load: the new worker gets the load that was in flight, and its reply counts (item 2)', () => {
    const h = harness();
    const a = h.life.load(registry('a'));
    h.answer(h.w(), a, 'a');
    h.life.load(registry('b'));
    const first = h.w();
    expect(first.sent[0]).toMatchObject({ type: 'init', gpus: null });
    const gpus = { webgl: SWIFTSHADER, webgpu: { available: false, renderer: null, software: false } };
    first.reply(webglReady(gpus));
    h.client.setBackend('cpu');
    expect(first.terminated).toBe(true);
    const fresh = h.w();
    expect(fresh).not.toBe(first);
    // What the first worker's probe saw goes with the switch: the new worker need not ask a GPU still busy with the old.
    expect(fresh.sent[0]).toMatchObject({ type: 'init', backend: 'cpu', gpus });
    const replay = fresh.loads().at(-1)!;
    expect(replay.spec.modelId).toBe('b');
    h.answer(fresh, replay.req, 'b');
    expect(h.life.state).toMatchObject({ phase: 'ready', id: 'b' });
  });

  it('crash during load: loaded again once; a load that kills the worker twice fails instead of looping (item 4)', () => {
    const h = harness();
    h.life.load(registry('killer'));
    h.w().crash();
    expect(h.workers).toHaveLength(2);
    expect(h.w().loads().at(-1)!.spec.modelId).toBe('killer');
    expect(h.life.state.phase).toBe('loading');
    h.w().crash();
    expect(h.life.state).toMatchObject({ phase: 'failed', id: 'killer' });
    expect(String((h.life.state as { reason: string }).reason)).toMatch(/crashed 2 times/);
  });

  it('crash during render: the job runs again once, then fails; the model is loaded again (item 4)', () => {
    const h = harness();
    const a = h.life.load(registry('a'));
    h.answer(h.w(), a, 'a');
    const job = {
      id: 'j1',
      modelId: 'a',
      layer: 'a-conv',
      channel: 0,
      variant: 0,
      priority: 1,
      settings: {
        objective: 'channel' as const,
        size: 64,
        steps: 64,
        seed: 0,
        param: 'fourier' as const,
        transforms: true,
        diversity: 0,
        variants: 1,
      },
    };
    h.book.add(job);
    h.w().reply({ type: 'job-started', id: 'j1' });
    h.w().crash();
    const second = h.w();
    expect(second.loads().at(-1)!.spec.modelId).toBe('a');
    expect(second.sent.find((m) => m.type === 'enqueue')).toMatchObject({ jobs: [{ id: 'j1' }] });
    h.answer(second, second.loads().at(-1)!.req, 'a');
    second.reply({ type: 'job-started', id: 'j1' });
    second.crash();
    expect(h.failed).toEqual(['j1']);
    expect(h.w().sent.find((m) => m.type === 'enqueue')).toBeUndefined();
  });

  it('delete then crash: the person’s model is opened again but never stored again (item 5)', () => {
    const h = harness();
    const req = h.life.load(files('mine'));
    expect(h.w().loads()[0].spec).toMatchObject({ keepAs: 'mine' });
    h.answer(h.w(), req, 'user:mine', 'user:0123456789abcdef');
    // The person deletes the kept copy; then the worker dies.
    h.w().crash();
    const replay = h.w().loads().at(-1)!;
    expect(replay.spec).toMatchObject({ kind: 'user', modelId: 'user:mine', keepAs: null });
  });

  it('a backend change replays a stored model’s load without keeping it again, and a rename follows it', () => {
    const h = harness();
    const req = h.life.load(files('mine'));
    h.answer(h.w(), req, 'user:mine', 'user:00ff');
    h.life.renamed('mine', 'theirs');
    expect(h.life.state).toMatchObject({ phase: 'ready', id: 'user:theirs' });
    h.client.setBackend('wasm');
    expect(h.w().loads().at(-1)!.spec).toMatchObject({ modelId: 'user:theirs', keepAs: null });
  });

  it('a backend that reports itself broken (wasm out of memory) is replaced, and the model before it comes back (item 7)', () => {
    const h = harness();
    const a = h.life.load(registry('a'));
    h.answer(h.w(), a, 'a');
    const huge = h.life.load(registry('huge'));
    const first = h.w();
    h.fail(first, huge, 'huge', 'memory access out of bounds');
    first.reply({ type: 'broken', message: 'memory access out of bounds' });
    expect(first.terminated).toBe(true);
    expect(h.w()).not.toBe(first);
    const replay = h.w().loads().at(-1)!;
    expect(replay.spec.modelId).toBe('a');
    h.answer(h.w(), replay.req, 'a');
    expect(h.life.state).toMatchObject({ phase: 'ready', id: 'a' });
  });

  it('an unresponsive worker is replaced after a control message goes unanswered (item 16)', () => {
    const timers = { fire: () => {} };
    const h = harness(timers);
    h.w().reply(webglReady({ webgl: SWIFTSHADER, webgpu: SWIFTSHADER }));
    const a = h.life.load(registry('a'));
    h.answer(h.w(), a, 'a');
    const stuck = h.w();
    h.client.control({ type: 'cancel', ids: 'all' });
    timers.fire();
    expect(stuck.terminated).toBe(true);
    expect(h.workers).toHaveLength(2);
    expect(h.w().loads().at(-1)!.spec.modelId).toBe('a');
    // A worker that stopped answering may have hung in the GPU: its successor asks the GPU again.
    expect(h.w().sent[0]).toMatchObject({ type: 'init', gpus: null });
  });

  it('a worker that cannot even start is restarted a few times, then given up with a message', () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.w().crash('cannot start');
    expect(h.notes.some((n) => /gave up: cannot start/.test(n))).toBe(true);
    expect(h.workers.length).toBe(4);
  });
});

describe('a worker stuck while it renders', () => {
  /** Timers run by hand: `advance(ms)` fires every timer due by then, in order. */
  function clock() {
    let now = 0;
    let next = 0;
    const timers = new Map<number, { at: number; f: () => void }>();
    return {
      set: (f: () => void, ms: number) => {
        timers.set(++next, { at: now + ms, f });
        return next;
      },
      clear: (t: unknown) => void timers.delete(t as number),
      advance(ms: number) {
        const end = now + ms;
        for (;;) {
          const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
          if (!due) break;
          timers.delete(due[0]);
          now = due[1].at;
          due[1].f();
        }
        now = end;
      },
    };
  }

  function client() {
    const workers: FakeWorker[] = [];
    const replaced: string[] = [];
    const timers = clock();
    const c = new WorkerClient(
      () => {
        const w = new FakeWorker();
        workers.push(w);
        return w;
      },
      { message: () => {}, replaced: (why, reason) => replaced.push(`${why}: ${reason}`), gaveUp: () => {} },
      'wasm',
      { pingEveryMs: 10_000, stuckMs: 30_000, timers },
    );
    c.start();
    workers[0].reply({
      type: 'ready',
      backend: 'wasm',
      threads: 2,
      simd: true,
      renderer: null,
      note: null,
      software: false,
      softwareGpu: false,
      gpus: { webgl: null, webgpu: null },
    } as unknown as FromWorker);
    const pings = (w: FakeWorker) => w.sent.filter((m) => m.type === 'ping').length;
    return { c, workers, replaced, timers, pings };
  }

  it('is asked now and then while a render runs, and replaced when it stops answering, though nobody pressed cancel', () => {
    const { c, workers, replaced, timers, pings } = client();
    // Idle: nothing is asked.
    timers.advance(60_000);
    expect(pings(workers[0])).toBe(0);
    c.busy(true);
    // A worker that answers (any message) is left alone, however long the render.
    for (let i = 0; i < 10; i++) {
      timers.advance(10_000);
      workers[0].reply({ type: 'pong' });
    }
    expect(pings(workers[0])).toBe(10);
    expect(replaced).toEqual([]);
    // Stuck: no answer to the next question for 30 s.
    timers.advance(10_000 + 29_000);
    expect(replaced).toEqual([]);
    timers.advance(1_000);
    expect(workers[0].terminated).toBe(true);
    expect(replaced).toEqual(['unresponsive: it did not answer for 30 s while rendering']);
    // Once nothing renders the questions stop.
    c.busy(false);
    const asked = pings(workers[1]);
    timers.advance(120_000);
    expect(pings(workers[1])).toBe(asked);
  });
});
