import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, jobKey, PRIORITY, PREEMPT_MARGIN, type Job } from '../../src/lib/protocol.ts';
import { JobQueue } from '../../src/lib/queue.ts';
import { LOOK_MS, RequestPriorities } from '../../src/lib/studio/request-priority.ts';

const LAYERS = ['conv1', 'dw1', 'pw1', 'dw2', 'pw2', 'dw3', 'pw3'];
const job = (layer: string, priority: number): Job => {
  const j = { modelId: 'm', layer, channel: 0, variant: 0, settings: DEFAULT_JOB_SETTINGS };
  return { ...j, id: jobKey(j), priority };
};

describe('request priorities', () => {
  it('bands that ask in one look render top-down, whatever order their observers fired in', () => {
    let t = 5000;
    const p = new RequestPriorities(() => t);
    const q = new JobQueue();
    // The order seen in the studio after a change of size: the first band's observer fired last.
    for (const layer of ['pw1', 'dw3', 'dw1', 'pw2', 'dw2', 'pw3', 'conv1']) {
      q.add([job(layer, p.of('visible', LAYERS.indexOf(layer), LAYERS.length))]);
      t += 20;
    }
    expect(q.plan(8).map((b) => b[0].layer)).toEqual(LAYERS);
  });

  it('a later look goes first, a click beats the screen by a whole class, the background comes last', () => {
    let t = 1000;
    const p = new RequestPriorities(() => t);
    const firstLook = p.of('visible', 0, 7);
    t += LOOK_MS + 1;
    const scrolledTo = p.of('visible', 6, 7);
    expect(scrolledTo).toBeGreaterThan(firstLook);
    t += 5;
    const click = p.of('clicked');
    // A click preempts a running batch of on-screen work (the worker's rule: a margin of one class).
    expect(click - scrolledTo).toBeGreaterThanOrEqual(PREEMPT_MARGIN);
    expect(p.of('background', 3, 7)).toBe(PRIORITY.background);
    expect(firstLook - PRIORITY.background).toBeGreaterThanOrEqual(PREEMPT_MARGIN);
    // Clicks: the most recent first.
    t += 1;
    expect(p.of('clicked')).toBeGreaterThan(click);
  });

  it('a look lasts LOOK_MS from its first request, not as long as requests keep coming', () => {
    let t = 0;
    const p = new RequestPriorities(() => t);
    const first = p.of('visible', 5, 7);
    for (let i = 0; i < 10; i++) {
      t += LOOK_MS / 3;
      p.of('visible', 5, 7);
    }
    // Three seconds of scrolling later, a deep band still beats the shallow ones asked for at the start.
    expect(p.of('visible', 6, 7)).toBeGreaterThan(first + 1);
  });
});
