// Tabs of the studio share renders: a render one tab's worker claimed waits in the other until it is cached there.
import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, jobKey, PRIORITY, type FromWorker, type Job } from '../../src/lib/protocol.ts';
import { claimName, RenderClaims } from '../../workers/render-claims.ts';
import { Scheduler } from '../../workers/scheduler.ts';
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
    const tabs = ['a', 'b'].map(() => ({ log: [] as FromWorker[], scheduler: null as unknown as Scheduler }));
    const jobs = [job('conv_pw_3_bn', 0), job('conv_pw_3_bn', 1), job('conv_pw_5_bn', 0), job('conv_pw_5_bn', 1)];
    tabs.forEach((tab, i) => {
      const other = tabs[1 - i];
      tab.scheduler = new Scheduler(
        {
          post: (msg) => {
            tab.log.push(msg);
            if (msg.type !== 'job-done') return;
            // What each tab's page does: cache the image, say so to its worker, and the other tab adopts it.
            setTimeout(() => {
              tab.scheduler.written([msg.id]);
              other.scheduler.cancel([msg.id]);
            }, 5);
          },
          model: () => ({ model: m, key: SMALL }),
          backend: () => 'wasm',
          gpuLost: () => null,
          gpuFailed: async () => false,
          broken: () => {},
        },
        new RenderClaims(locks),
      );
    });
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
