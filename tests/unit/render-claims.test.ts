// Tabs of the studio share renders: a render one tab's worker claimed waits in the other until it is cached there;
// and one batch computes at a time across the tabs, a click taking the turn from background work.
import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, jobKey, PRIORITY, type Job } from '../../src/lib/protocol.ts';
import { claimName, RenderClaims } from '../../workers/render-claims.ts';
import { OTHER_WORK_WAIT_MS, RenderTurn } from '../../workers/render-turn.ts';
import { schedulerOn } from './scheduler-harness.ts';
import { fakeLocks } from './fake-locks.ts';
import { model, SMALL } from './helpers.ts';

const settings = { ...DEFAULT_JOB_SETTINGS, steps: 24, size: 32 };
function job(layer: string, channel: number, variant = 0, s = settings): Job {
  const j = { modelId: SMALL, layer, channel, variant, settings: s };
  return { ...j, id: jobKey(j), priority: PRIORITY.clicked };
}

describe('render claims', () => {
  it('one worker holds a claim; another is told when it goes, and not after it stopped waiting', async () => {
    const locks = fakeLocks();
    const [a, b] = [new RenderClaims(locks), new RenderClaims(locks)];
    expect(await a.claim('x')).toBe(true);
    expect(await a.claim('x')).toBe(true); // held here already
    expect(await b.claim('x')).toBe(false);
    let freed = 0;
    b.watch('x', () => freed++);
    a.release('x');
    await expect.poll(() => freed).toBe(1);
    expect(await b.claim('x')).toBe(true);
    a.watch('x', () => freed++);
    a.unwatch('x');
    b.release('x');
    await new Promise((r) => setTimeout(r, 10));
    expect(freed).toBe(1);
    // Without a lock manager (Node, the CLI) every claim succeeds.
    expect(await new RenderClaims(null).claim('x')).toBe(true);
  });

  it("a group of variants is claimed as one: its variants share the claim, other groups' do not", () => {
    const four = { ...settings, variants: 4, diversity: 100 };
    const names = [0, 1, 2, 3].map((v) => claimName(job('l', 2, v, four)));
    expect(new Set(names).size).toBe(1);
    expect(claimName(job('l', 3, 0, four))).not.toBe(names[0]);
    expect(claimName(job('l', 2))).not.toBe(names[0]);
  });

  it('two tabs asking for the same renders render each once between them, and each ends with all of them', async () => {
    const m = await model(SMALL);
    const locks = fakeLocks();
    const jobs = [job('conv_pw_3_bn', 0), job('conv_pw_3_bn', 1), job('conv_pw_5_bn', 0), job('conv_pw_5_bn', 1)];
    const tabs: ReturnType<typeof schedulerOn>[] = [];
    for (const i of [0, 1])
      tabs.push(
        schedulerOn(m, SMALL, {
          locks,
          posted: (msg) => {
            if (msg.type !== 'job-done') return;
            // What each tab's page does: cache the image, say so to its worker, and the other tab adopts it.
            setTimeout(() => {
              tabs[i].scheduler.written([msg.id]);
              tabs[1 - i].scheduler.cancel([msg.id]);
            }, 5);
          },
        }),
      );
    for (const tab of tabs) tab.scheduler.enqueue(jobs);
    const done = () => tabs.flatMap((t) => t.log.filter((e) => e.type === 'job-done').map((e) => (e as { id: string }).id));
    await expect.poll(() => done().length, { timeout: 60_000, interval: 50 }).toBe(4);
    await new Promise((r) => setTimeout(r, 300));
    // Each render once, split between the tabs (one batch each), and nothing left queued anywhere.
    expect(done().sort()).toEqual(jobs.map((j) => j.id).sort());
    for (const t of tabs) expect(t.log.filter((e) => e.type === 'job-done')).toHaveLength(2);
    const states = tabs.map((t) =>
      t.log.filter((e) => e.type === 'queue').map((e) => (e as { state: { elsewhere: number; pending: number } }).state),
    );
    // The tab that found a batch claimed said so (queued, "in another tab"), and both end with an empty queue.
    expect(states.some((s) => s.some((q) => q.elsewhere === 2))).toBe(true);
    for (const s of states) expect(s.at(-1)).toMatchObject({ pending: 0, elsewhere: 0 });
  });
});

describe('the render turn across tabs', () => {
  it("two tabs' schedulers: a click in the tab whose background batch waits for it runs first, then the other tab's click, then that batch", async () => {
    const m = await model(SMALL);
    const locks = fakeLocks();
    const [a, b] = [schedulerOn(m, SMALL, { locks }), schedulerOn(m, SMALL, { locks })];
    const long = { ...settings, steps: 240 };
    const mk = (channel: number, priority: number, s = settings): Job => ({ ...job('conv_pw_3_bn', channel, 0, s), priority });
    const bg = mk(0, PRIORITY.background, long);
    a.scheduler.enqueue([bg]);
    await expect.poll(() => a.log.some((e) => e.type === 'snapshot' && e.id === bg.id)).toBe(true);
    const aClick = mk(1, PRIORITY.clicked + 1, long);
    a.scheduler.enqueue([aClick]);
    await expect.poll(() => a.log.some((e) => e.type === 'snapshot' && e.id === aClick.id)).toBe(true);
    const bClick = mk(2, PRIORITY.clicked + 2);
    b.scheduler.enqueue([bClick]);
    const doneAt = (t: typeof a, id: string) => t.when('job-done', id);
    await expect.poll(() => doneAt(a, bg.id), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(() => doneAt(b, bClick.id), { timeout: 60_000 }).toBeGreaterThan(0);
    // b's click did not take the turn from a's click (a click waits for another tab's click), and got it before a's
    // background batch went on to its end.
    expect(doneAt(a, aClick.id)).toBeLessThan(doneAt(b, bClick.id));
    expect(doneAt(b, bClick.id)).toBeLessThan(doneAt(a, bg.id));
    expect(a.log.some((e) => e.type === 'job-requeued')).toBe(false);
  });

  it('one holder at a time, in the order asked; a click takes it at once and the holder knows it lost it', async () => {
    const locks = fakeLocks();
    const [a, b, c, d] = [0, 1, 2, 3].map(() => new RenderTurn(locks));
    const order: string[] = [];
    await a.take(false);
    const bGot = b.take(false).then(() => order.push('b'));
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual([]);
    a.give();
    await bGot;
    await c.take(true);
    order.push('c');
    await expect.poll(() => b.lost).toBe(true);
    const stop = new AbortController();
    const dWaits = d.take(false, stop.signal).then(() => order.push('d gave up'));
    const bAgain = b.take(false).then(() => order.push('b again'));
    stop.abort();
    await dWaits;
    c.give();
    await bAgain;
    expect(order).toEqual(['b', 'c', 'd gave up', 'b again']);
    expect(b.lost).toBe(false);
    expect(d.lost).toBe(false);
    // A click waits behind another tab's click (it takes the turn from background work only).
    b.give();
    const [e, f] = [new RenderTurn(locks), new RenderTurn(locks)];
    await e.take(true);
    let fGot = false;
    const fWaits = f.take(true).then(() => (fGot = true));
    await new Promise((r) => setTimeout(r, 10));
    expect([fGot, e.lost]).toEqual([false, false]);
    e.give();
    await fWaits;
    expect(fGot).toBe(true);
  });

  it("a click of the tab whose background batch holds the turn keeps it from another tab's click, which gets it next", async () => {
    const locks = fakeLocks();
    const [a, b, c] = [0, 1, 2].map(() => new RenderTurn(locks));
    await a.take(false);
    // A click in tab a: its batch runs while a's background batch waits (scheduler.ts), in the turn a holds.
    await a.take(true);
    let bGot = false;
    const bWaits = b.take(true).then(() => (bGot = true));
    await new Promise((r) => setTimeout(r, 20));
    expect([bGot, a.lost]).toEqual([false, false]);
    // a's click is done and its background batch would go on: b's click, waiting, gets the turn first.
    await a.backgroundAgain();
    await bWaits;
    expect(a.lost).toBe(true);
    b.give();
    await a.take(false);
    expect(a.lost).toBe(false);
    // With nobody waiting, a's background batch keeps the turn, and another tab's click can take it from it at once.
    await a.take(true);
    await a.backgroundAgain();
    expect(a.lost).toBe(false);
    await c.take(true);
    await expect.poll(() => a.lost).toBe(true);
    c.give();
  });

  it("a tab's photo work computes in the turn as a click: beside its own batch at once, never two requests out", async () => {
    const locks = fakeLocks();
    const [a, b, c] = [0, 1, 2].map(() => new RenderTurn(locks));
    const order: string[] = [];
    const tick = () => new Promise((r) => setTimeout(r, 5));
    // Another tab's background batch: the photo work takes the turn from it at once; that batch waits.
    await a.take(false);
    await b.during(async () => {
      order.push('b work');
      await expect.poll(() => a.lost).toBe(true);
    });
    await a.take(false);
    expect(a.lost).toBe(false);
    // Beside its own batch the work runs at once; the batch giving the turn mid-work does not let it go.
    const cGot = c.take(false).then(() => order.push('c batch'));
    await a.during(async () => {
      order.push('a work');
      a.give();
      await tick();
      order.push('a work ends');
    });
    await cGot;
    expect(order).toEqual(['b work', 'a work', 'a work ends', 'c batch']);
    // A batch and work of one tab waiting behind another tab's click share one request: the work does not wait behind
    // its own tab's batch (a second request would, until OTHER_WORK_WAIT_MS).
    order.length = 0;
    await c.take(true); // c now holds it as a click
    const batch = b.take(false).then(() => order.push('b batch'));
    await tick();
    const work = b.during(async () => order.push('b work after the click'));
    await tick();
    const given = performance.now();
    c.give();
    await Promise.all([work, batch]);
    expect(performance.now() - given).toBeLessThan(OTHER_WORK_WAIT_MS / 3);
    expect(order).toEqual(['b batch', 'b work after the click']);
    // The work ended but the batch still holds the turn: another tab waits until the batch gives it.
    let aGot = false;
    const aWaits = a.take(false).then(() => (aGot = true));
    await tick();
    expect(aGot).toBe(false);
    b.give();
    await aWaits;
    a.give();
  });

  it("another tab's click takes the turn from photo work at once; the work runs on beside it", async () => {
    const locks = fakeLocks();
    const [a, b, c] = [0, 1, 2].map(() => new RenderTurn(locks));
    const order: string[] = [];
    let finish!: () => void;
    const working = new Promise<void>((r) => (finish = r));
    const work = a.during(async () => {
      order.push('a work starts');
      await working;
      order.push('a work ends');
    });
    await expect.poll(() => order).toEqual(['a work starts']);
    const waited = new Promise((_, fail) => setTimeout(() => fail(new Error('the click waited for the photo work')), 500));
    await Promise.race([b.take(true), waited]);
    order.push('b click');
    // A background batch elsewhere still waits, for the click.
    let cGot = false;
    const cWaits = c.take(false).then(() => (cGot = true));
    finish();
    await work;
    expect(order).toEqual(['a work starts', 'b click', 'a work ends']);
    expect(cGot).toBe(false);
    b.give();
    await cWaits;
    c.give();
  });

  it("photo work waits for another tab's click batch at most OTHER_WORK_WAIT_MS, then runs beside it", async () => {
    const locks = fakeLocks();
    const [a, b] = [new RenderTurn(locks), new RenderTurn(locks)];
    await a.take(true);
    const t0 = performance.now();
    const waited = await b.during(async () => performance.now() - t0);
    expect(waited).toBeGreaterThanOrEqual(OTHER_WORK_WAIT_MS - 20);
    expect(waited).toBeLessThan(OTHER_WORK_WAIT_MS + 1000);
    expect(a.lost).toBe(false);
    // The click batch kept its turn; the work's abandoned request left nothing behind.
    a.give();
    await b.take(false);
    b.give();
  });

  it("two tabs' background batches take turns; a click in the other tab renders at once, and the batch it paused keeps its steps", async () => {
    const m = await model(SMALL);
    const locks = fakeLocks();
    const tab = () => schedulerOn(m, SMALL, { locks });
    const [a, b] = [tab(), tab()];
    const bg = (layer: string, steps: number, priority: number = PRIORITY.background) => ({
      ...job(layer, 1, 0, { ...settings, steps }),
      priority,
    });
    const first = bg('conv_pw_3_bn', 120);
    const second = bg('conv_pw_5_bn', 24);
    a.scheduler.enqueue([first]);
    await expect.poll(() => a.when('snapshot', first.id)).toBeDefined();
    b.scheduler.enqueue([second]);
    await expect.poll(() => b.when('job-done', second.id), { timeout: 60_000 }).toBeDefined();
    // The other tab's background batch started only once this one was done.
    expect(b.when('job-started', second.id)!).toBeGreaterThan(a.when('job-done', first.id)!);

    const long = bg('conv_pw_3_bn', 400, PRIORITY.background + 1);
    const click = bg('conv_pw_7_bn', 24, PRIORITY.clicked + 1);
    a.scheduler.enqueue([long]);
    await expect.poll(() => a.when('snapshot', long.id)).toBeDefined();
    b.scheduler.enqueue([click]);
    await expect.poll(() => a.when('job-done', long.id), { timeout: 120_000 }).toBeDefined();
    expect(b.when('job-done', click.id)!).toBeLessThan(a.when('job-done', long.id)!);
    expect(b.when('job-started', click.id)!).toBeLessThan(a.when('job-done', long.id)!);
    // A paused tab holds no turn: the other tab renders meanwhile, and the paused batch goes on after the resume.
    const held = bg('conv_pw_3_bn', 200, PRIORITY.background + 2);
    const meanwhile = bg('conv_pw_9_bn', 24);
    a.scheduler.enqueue([held]);
    await expect.poll(() => a.when('snapshot', held.id)).toBeDefined();
    a.scheduler.pause();
    b.scheduler.enqueue([meanwhile]);
    await expect.poll(() => b.when('job-done', meanwhile.id), { timeout: 60_000 }).toBeDefined();
    expect(a.when('job-done', held.id)).toBeUndefined();
    a.scheduler.resume();
    await expect.poll(() => a.when('job-done', held.id), { timeout: 60_000 }).toBeDefined();
    // The paused batch was not started again: it went on from where it waited.
    expect(a.log.some((e) => e.type === 'job-requeued')).toBe(false);
    const steps = a.log.filter((e) => e.type === 'snapshot' && e.id === long.id);
    expect(steps.map((e) => (e as { step: number }).step)).toEqual([
      16, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 400,
    ]);
  });
});
