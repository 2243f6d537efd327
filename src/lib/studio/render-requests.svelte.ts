/**
 * The studio's render requests: what the gallery and a person ask the worker to render, and what they take back.
 * Each request becomes a job in the book (sent again to a fresh worker) and a queued card on screen; a band leaving
 * the screen, a change of settings or a cancel take jobs back, each by its own rule (why a job was asked for decides
 * what may drop it). The worker and the model on screen are reached through the few functions the studio passes in.
 */
import { jobKey, PRIORITY, type Combo, type Job, type JobSettings, type ToWorker } from '../protocol.ts';
import { checkJobSettings, singleImage } from '../settings.ts';
import type { CardStore } from './card-store.svelte.ts';
import { isPending, queuedCard, type Card } from './cards.ts';
import { RequestPriorities, type RequestOrigin } from './request-priority.ts';
import type { JobBook } from './job-book.ts';
import type { LoadedModel } from './lifecycle.ts';
import { staleAfterSettings } from './stale-jobs.ts';

export interface RequestHost {
  /** Sends to the worker in its order (enqueue, prioritize). */
  send(m: ToWorker): void;
  /** Sends to the worker at once, ahead of queued messages (cancel). */
  control(m: ToWorker): void;
  /** The model ready on screen, or null while none is. */
  model(): LoadedModel | null;
  /** The cache identity of the model whose bands are on screen (kept while another one loads). */
  modelKey(): string | null;
  note(kind: 'info' | 'error', text: string): void;
}

export class RenderRequests {
  /** A click beats what is on screen, which beats background work (request-priority.ts). */
  private readonly priorities = new RequestPriorities();
  /** A model whose renders are being read back from the cache: its requests wait for that (see holdUntil). */
  private restoring: { modelKey: string; done: Promise<void> } | null = null;
  /** Counts cancelAll calls: what waited on the cache read and was cancelled meanwhile is not asked for after it. */
  private cancels = 0;

  constructor(
    private readonly book: JobBook,
    private readonly cards: CardStore,
    private readonly host: RequestHost,
  ) {}

  private get outstanding() {
    return this.book.outstanding;
  }

  /**
   * The model `modelKey` is ready and its cached renders are being read back until `done`. Its requests wait until
   * then: the gallery asks for its background and on-screen renders the moment a model is ready, and a request that
   * came before its card was back from the cache would render the image again (every band's first channels, after
   * each reload). What a band leaving the screen or a change of settings takes back waits too, so that everything
   * runs in the order it was asked, as if the cache had been read at once.
   */
  holdUntil(modelKey: string, done: Promise<void>) {
    const hold = { modelKey, done };
    this.restoring = hold;
    const release = () => {
      if (this.restoring === hold) this.restoring = null;
    };
    // Registered before anything that waits, so it runs first and they pass.
    void done.then(release, release);
  }

  /**
   * True when `op` was put off until the model's cache is read (see holdUntil); it then runs unless another model is
   * on screen or everything was cancelled meanwhile. False: nothing waits, the caller goes on now.
   */
  private putOff(op: () => void): boolean {
    const hold = this.restoring;
    if (!hold || this.host.model()?.key !== hold.modelKey) return false;
    const cancels = this.cancels;
    const later = () => {
      if (this.cancels === cancels && this.host.model()?.key === hold.modelKey) op();
    };
    void hold.done.then(later, later);
    return true;
  }

  /**
   * Asks for renders — every image of each channel's group (settings.variants; one for a single image); cached or
   * finished ones are not rendered again, queued ones move up.
   */
  request(layer: string, channels: number[], why: RequestOrigin, settings: JobSettings) {
    const model = this.host.model();
    // Only the loaded model's own layers: a band of a model being replaced asks for nothing.
    if (!model || !model.layers.some((l) => l.name === layer)) return;
    const asked = $state.snapshot(settings) as JobSettings;
    if (this.putOff(() => this.request(layer, channels, why, asked))) return;
    let s: JobSettings;
    try {
      s = checkJobSettings(asked);
    } catch (e) {
      this.host.note('error', (e as Error).message);
      return;
    }
    const depth = model.layers.findIndex((l) => l.name === layer);
    const priority = this.priorities.of(why, depth, model.layers.length);
    if (why === 'clicked') for (const c of channels) this.book.click(layer, c);
    const jobs: Job[] = [];
    const bump: string[] = [];
    for (const channel of channels) {
      for (let variant = 0; variant < s.variants; variant++) {
        const j = { modelId: model.key, layer, channel, variant, settings: s };
        const key = jobKey(j);
        const existing = this.cards.get(key);
        if (existing && (existing.status === 'done' || existing.status === 'running')) continue;
        if (existing && existing.status === 'queued') {
          if (why !== 'background') bump.push(key);
          continue;
        }
        jobs.push(this.addJob({ ...j, id: key, priority }, why));
      }
    }
    if (jobs.length) this.host.send({ type: 'enqueue', jobs });
    if (bump.length) this.host.send({ type: 'prioritize', ids: bump, priority });
    for (const key of bump) {
      const job = this.outstanding.get(key);
      if (job) job.priority = priority;
    }
  }

  /**
   * Composed objectives around a rendered card's channel (issue 10): each combo is its own image, rendered at click
   * priority with the card's settings (a position → the neuron objective; the rest → the channel objective), and all of
   * one request in one batch when they can share it (an interpolation strip). Returns the new cards' keys.
   */
  compose(card: Card, combos: Combo[]): string[] {
    const model = this.host.model();
    if (!model || card.modelKey !== model.key) return [];
    const priority = this.priorities.of('clicked');
    const jobs: Job[] = [];
    const keys: string[] = [];
    for (const combo of combos) {
      // A composed image is a single image, also when composed from a variant of a group.
      const settings: JobSettings = { ...singleImage(card.settings), objective: combo.kind === 'at' ? 'neuron' : 'channel' };
      const j = { modelId: model.key, layer: card.layer, channel: card.channel, variant: 0, settings, combo };
      const key = jobKey(j);
      keys.push(key);
      if (!this.cards.has(key)) jobs.push(this.addJob({ ...j, id: key, priority }, 'clicked'));
    }
    if (jobs.length) this.host.send({ type: 'enqueue', jobs });
    return keys;
  }

  /** A new job: in the book (sent again to a fresh worker) and on screen as a queued card. */
  private addJob(job: Job, origin: RequestOrigin): Job {
    this.book.add(job, origin);
    this.cards.set(job.id, queuedCard(job.id, job.modelId, job.layer, job.channel, job.variant, job.settings, job.combo));
    return job;
  }

  /**
   * The detail view stepped on from a render it had asked for that has not started: it gives way to the one looked at
   * now, dropping to the on-screen class (a person's render still: kept over a change of settings, never dropped), so
   * that what the person is looking at is rendered next, alone, rather than in a batch of the channels passed over.
   */
  passOver(key: string) {
    const job = this.outstanding.get(key);
    if (!job || job.priority < PRIORITY.clicked || this.cards.get(key)?.status !== 'queued') return;
    const model = this.host.model();
    const depth = model ? model.layers.findIndex((l) => l.name === job.layer) : 0;
    job.priority = this.priorities.of('visible', depth, model?.layers.length ?? 1);
    this.host.send({ type: 'prioritize', ids: [key], priority: job.priority });
  }

  /**
   * A band left the screen: the queued renders only being on screen asked for are dropped (scrolling through the
   * gallery does not leave a queue behind), the background ones go back to background priority; clicked ones stay.
   */
  demote(layer: string, channels: number[], settings: JobSettings) {
    const modelKey = this.host.modelKey();
    if (!modelKey) return;
    const asked = $state.snapshot(settings) as JobSettings;
    if (this.putOff(() => this.demote(layer, channels, asked))) return;
    const lower: string[] = [];
    const drop: string[] = [];
    for (const channel of channels) {
      if (this.book.wasClicked(layer, channel)) continue;
      const key = jobKey({ modelId: modelKey, layer, channel, variant: 0, settings });
      const job = this.outstanding.get(key);
      if (!job || this.cards.get(key)?.status !== 'queued') continue;
      if (this.book.originOf(key) === 'visible') drop.push(key);
      else {
        job.priority = PRIORITY.background;
        lower.push(key);
      }
    }
    if (lower.length) this.host.send({ type: 'prioritize', ids: lower, priority: PRIORITY.background });
    this.cancel(drop);
  }

  /**
   * New settings: the gallery's own unfinished requests under the old ones — background and on-screen, queued or
   * running — are cancelled (stale-jobs.ts), so the worker does not spend minutes on images no card shows while the
   * bands ask again under `next`. What a person asked for stays.
   */
  dropStale(next: JobSettings) {
    const model = this.host.model();
    if (!model) return;
    if (this.putOff(() => this.dropStale(next))) return;
    this.cancel(staleAfterSettings(this.outstanding.values(), model.layers, next, (j) => this.book.byPerson(j)));
  }

  /** Cancels some renders (a card's, a band's): queued ones leave the queue, running ones stop at their next step. */
  cancel(keys: string[]) {
    if (!keys.length) return;
    this.host.control({ type: 'cancel', ids: keys });
    for (const key of keys) {
      const c = this.cards.get(key);
      if (isPending(c)) this.cards.delete(key);
      this.book.finished(key);
    }
  }

  /** Cancels everything; `workerBusy` (the worker's last queue report) sends the cancel even with an empty book. */
  cancelAll(workerBusy: boolean) {
    this.cancels++;
    if (this.outstanding.size || workerBusy) this.host.control({ type: 'cancel', ids: 'all' });
    this.cards.dropUnfinished();
    this.book.clear();
  }
}
