import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, jobKey, type Job } from '../../src/lib/protocol.ts';
import { ASKED_KEY, AskedRenders } from '../../src/lib/studio/asked-renders.ts';
import { JobBook } from '../../src/lib/studio/job-book.ts';

class MemoryStore {
  readonly items = new Map<string, string>();
  getItem = (k: string) => this.items.get(k) ?? null;
  setItem = (k: string, v: string) => void this.items.set(k, v);
  removeItem = (k: string) => void this.items.delete(k);
}

const settings = { ...DEFAULT_JOB_SETTINGS, steps: 64 };
const pair = { ...settings, variants: 2, diversity: 100 };
function job(modelId: string, layer: string, channel: number, variant = 0, extra: Partial<Job> = {}): Job {
  const j = { modelId, layer, channel, variant, settings, ...extra };
  return { ...j, id: jobKey(j), priority: 1 };
}

describe('renders a person asked for, across a reload', () => {
  it("keeps the person's pause for the tab's next page only, and forgets a resumed one", () => {
    const store = new MemoryStore();
    const asked = new AskedRenders(store);
    expect(asked.takePause()).toBe(false);
    asked.savePause(true);
    expect(asked.takePause()).toBe(true);
    expect(asked.takePause()).toBe(false); // taken once: the page after next runs unless paused again
    asked.savePause(true);
    asked.savePause(false);
    expect(asked.takePause()).toBe(false);
    expect(new AskedRenders(null).takePause()).toBe(false); // no storage: nothing kept
  });

  it("keeps the person's unfinished jobs, and gives them back once per model, grouped into requests", () => {
    const store = new MemoryStore();
    const asked = new AskedRenders(store);
    const group = [job('m', 'a', 4, 0, { settings: pair }), job('m', 'a', 4, 1, { settings: pair })];
    const mine = [job('m', 'a', 3), job('m', 'a', 1), ...group, job('m', 'b', 0)];
    const otherSettings = job('m', 'a', 2, 0, { settings: { ...settings, seed: 5 } });
    const gallery = job('m', 'a', 9);
    const combo = job('m', 'a', 3, 0, { combo: { kind: 'neg' } });
    const otherModel = job('n', 'a', 7);
    const all = [...mine, otherSettings, gallery, combo, otherModel];
    asked.save(all.filter((j) => j !== gallery));
    expect(JSON.parse(store.getItem(ASKED_KEY)!)).toHaveLength(7);

    const again = new AskedRenders(store).take('m');
    expect(again).toEqual([
      { layer: 'a', settings, channels: [1, 3] },
      // The group's settings ask for both of its images again.
      { layer: 'a', settings: pair, channels: [4] },
      { layer: 'b', settings, channels: [0] },
      { layer: 'a', settings: { ...settings, seed: 5 }, channels: [2] },
    ]);
    // Taken once: another model's stay until it opens; then nothing is left.
    expect(asked.take('m')).toEqual([]);
    expect(asked.take('n')).toEqual([{ layer: 'a', settings, channels: [7] }]);
    expect(store.items.has(ASKED_KEY)).toBe(false);
  });

  it('keeps nothing when nothing is unfinished, and survives damaged or missing storage', () => {
    const store = new MemoryStore();
    store.setItem(ASKED_KEY, 'stale');
    new AskedRenders(store).save([]);
    expect(store.items.has(ASKED_KEY)).toBe(false);
    store.setItem(ASKED_KEY, '{not json');
    expect(new AskedRenders(store).take('m')).toEqual([]);
    store.setItem(ASKED_KEY, '{"an":"object"}');
    expect(new AskedRenders(store).take('m')).toEqual([]);
    const entry = { modelKey: 'm', layer: 'a', channel: 1, variant: 0, settings };
    // Written by a page before settings had a group size: a single image, its diversity weight dropped.
    const { variants: _v, ...older } = { ...settings, diversity: 100 };
    const bad = [
      { ...entry, channel: -1 },
      { ...entry, channel: 1.5 },
      { ...entry, variant: 'x' },
    ];
    const damaged = { ...entry, channel: 2, settings: { ...settings, steps: -3 } };
    store.setItem(ASKED_KEY, JSON.stringify([...bad, damaged, entry, { ...entry, channel: 5, settings: older }]));
    expect(new AskedRenders(store).take('m')).toEqual([{ layer: 'a', settings, channels: [1, 5] }]);
    const none = new AskedRenders(null);
    none.save([job('m', 'a', 1)]);
    expect(none.take('m')).toEqual([]);
    const full = new MemoryStore();
    full.setItem = () => {
      throw new DOMException('quota', 'QuotaExceededError');
    };
    expect(() => new AskedRenders(full).save([job('m', 'a', 1)])).not.toThrow();
  });

  it("counts a person's finished render as unsafe until its image is in the cache; the gallery's never", () => {
    const book = new JobBook();
    const clicked = job('m', 'a', 1);
    const gallery = job('m', 'a', 2);
    const cancelled = job('m', 'a', 3);
    book.add(clicked, 'clicked');
    book.add(gallery, 'background');
    book.add(cancelled, 'clicked');
    expect(book.unsafeByPerson()).toEqual([clicked, cancelled]);
    book.finished(clicked.id, true);
    book.finished(gallery.id, true);
    book.finished(cancelled.id);
    expect(book.unsafeByPerson()).toEqual([clicked]); // its image is being written
    book.written(clicked.id);
    expect(book.unsafeByPerson()).toEqual([]);
  });
});
