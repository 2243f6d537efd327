/**
 * The studio's render requests while a model's renders are read back from the cache (RenderRequests.holdUntil): the
 * gallery asks the moment the model is ready, and nothing already cached may render again; what a band leaving the
 * screen, a change of settings or "cancel all" takes back in that time is taken back as well.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, jobKey, type Job, type JobSettings, type ToWorker } from '../../src/lib/protocol.ts';
import { CardStore } from '../../src/lib/studio/card-store.svelte.ts';
import { queuedCard, type Card } from '../../src/lib/studio/cards.ts';
import { JobBook } from '../../src/lib/studio/job-book.ts';
import type { LoadedModel } from '../../src/lib/studio/lifecycle.ts';
import { RenderRequests } from '../../src/lib/studio/render-requests.svelte.ts';

const S: JobSettings = { ...DEFAULT_JOB_SETTINGS, steps: 64, size: 64 };
const layer = { name: 'conv', kind: 'Conv2D', depth: 0, shape: [8, 8, 16], stride: 1, receptiveField: 40, logits: false };
const modelOf = (key: string): LoadedModel => ({
  id: key,
  key,
  layers: [layer] as LoadedModel['layers'],
  inputShape: [224, 224, 3],
  labels: [],
  labelOffset: 0,
  reopenable: true,
});

function studio() {
  const sent: ToWorker[] = [];
  const cards = new CardStore();
  const book = new JobBook();
  let model: LoadedModel | null = modelOf('m');
  const requests = new RenderRequests(book, cards, {
    send: (m) => sent.push(m),
    control: (m) => sent.push(m),
    model: () => model,
    modelKey: () => model?.key ?? null,
    note: () => {},
  });
  let read!: () => void;
  requests.holdUntil('m', new Promise<void>((done) => (read = done)));
  const enqueued = () =>
    sent.flatMap((m) => (m.type === 'enqueue' ? m.jobs.map((j: Job) => j.channel) : [])).sort((a, b) => a - b);
  const cancelled = () => sent.flatMap((m) => (m.type === 'cancel' ? (m.ids === 'all' ? ['all'] : m.ids) : []));
  /** The cache read ends, with these channels' cards back from it. */
  const restore = async (channels: number[]) => {
    const back: Card[] = channels.map((ch) => {
      const key = jobKey({ modelId: 'm', layer: 'conv', channel: ch, variant: 0, settings: S });
      return { ...queuedCard(key, 'm', 'conv', ch, 0, S), status: 'done', fromCache: true };
    });
    cards.restore(back);
    read();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { requests, cards, book, sent, enqueued, cancelled, restore, switchTo: (k: string) => (model = modelOf(k)) };
}

describe('render requests while the cache is read', () => {
  it('wait for it, and render only what it did not hold', async () => {
    const s = studio();
    s.requests.request('conv', [0, 1], 'background', S);
    s.requests.request('conv', [0, 1, 2, 3], 'visible', S);
    expect(s.sent).toEqual([]);
    await s.restore([0, 1]);
    expect(s.enqueued()).toEqual([2, 3]);
    expect(s.cards.get(jobKey({ modelId: 'm', layer: 'conv', channel: 0, variant: 0, settings: S }))?.status).toBe('done');
  });

  it('a band that left the screen in that time takes its request back', async () => {
    const s = studio();
    s.requests.request('conv', [2, 3], 'visible', S);
    s.requests.demote('conv', [2, 3], S);
    await s.restore([]);
    expect(s.book.outstanding.size).toBe(0);
    expect([...s.cards.values()].filter((c) => c.status === 'queued')).toEqual([]);
  });

  it('a change of settings in that time drops what the gallery asked for under the old ones', async () => {
    const s = studio();
    s.requests.request('conv', [2, 3], 'background', S);
    s.requests.dropStale({ ...S, steps: 128 });
    await s.restore([]);
    expect(s.book.outstanding.size).toBe(0);
  });

  it('"cancel all" or another model in that time: nothing is asked for after it', async () => {
    const a = studio();
    a.requests.request('conv', [2, 3], 'clicked', S);
    a.requests.cancelAll(false);
    await a.restore([]);
    expect(a.enqueued()).toEqual([]);
    const b = studio();
    b.requests.request('conv', [2, 3], 'visible', S);
    b.switchTo('other');
    await b.restore([]);
    expect(b.enqueued()).toEqual([]);
  });

  it('after the read, requests go out at once', async () => {
    const s = studio();
    await s.restore([]);
    s.requests.request('conv', [5], 'clicked', S);
    expect(s.enqueued()).toEqual([5]);
    expect(s.cancelled()).toEqual([]);
  });
});

describe('groups of variants', () => {
  it('a group asks for each of its images; an image composed from one of them is a single image', async () => {
    const s = studio();
    await s.restore([]);
    const three = { ...S, variants: 3, diversity: 100 };
    s.requests.request('conv', [4], 'clicked', three);
    const jobs = s.sent.flatMap((m) => (m.type === 'enqueue' ? m.jobs : []));
    expect(jobs.map((j) => [j.channel, j.variant, j.settings.variants])).toEqual([
      [4, 0, 3],
      [4, 1, 3],
      [4, 2, 3],
    ]);
    const variant = { ...s.cards.get(jobs[1].id)!, status: 'done' as const };
    const [key] = s.requests.compose(variant, [{ kind: 'neg' }]);
    expect(s.cards.get(key)?.settings).toEqual({ ...S, objective: 'channel' });
    // A weight asked for a single image is not part of it.
    s.requests.request('conv', [5], 'clicked', { ...S, diversity: 100 });
    const single = s.sent.flatMap((m) => (m.type === 'enqueue' ? m.jobs : [])).find((j) => j.channel === 5);
    expect(single?.id).toBe(jobKey({ modelId: 'm', layer: 'conv', channel: 5, variant: 0, settings: S }));
  });
});
