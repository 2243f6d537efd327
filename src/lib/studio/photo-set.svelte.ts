/**
 * The photo set as the studio sees it: the list the worker keeps (with object URLs for thumbnails and crops), the
 * work in progress, the photo being explained, and the dataset examples received per model, layer and channel.
 * Examples are asked for in one message per turn of the event loop; a change of the set forgets them (they are asked
 * again by whoever shows them).
 */
import type { ChannelExamples, FromWorker, PhotoExplained, PhotoProgress, ToWorker } from '../protocol.ts';
import type { PhotoRecord } from '../store/photo-store.ts';
import { SvelteMap } from 'svelte/reactivity';
import { ExampleRequests, examplesKey, PhotoUrls } from './example-requests.ts';

export { examplesKey };

/** Dataset examples per channel: k = 9 by default. */
export const EXAMPLES_K = 9;
/** Top channels per layer shown for an explained photo, each way (by maximum, by mean). */
export const TOP_CHANNELS = 6;

export class PhotoSet {
  photos = $state<PhotoRecord[]>([]);
  progress = $state<PhotoProgress | null>(null);
  /** The last adding of photos, once finished: what was added, already there, or skipped (until the next adding). */
  lastAdd = $state<PhotoProgress | null>(null);
  explained = $state<PhotoExplained | null>(null);
  explaining = $state<string | null>(null);
  error = $state<string | null>(null);
  /** Received examples by examplesKey. */
  readonly examples = new SvelteMap<string, ChannelExamples>();
  /** Bumped when the set changes: views that show examples ask again. */
  version = $state(0);
  private readonly urls = new PhotoUrls();
  private readonly requests = new ExampleRequests();
  private req = 0;
  private explainReq = 0;

  constructor(
    private readonly send: (m: ToWorker) => void,
    private readonly modelKey: () => string | null,
  ) {}

  /** Object URLs of a photo's original and thumbnail (made once per photo). */
  url(id: string, which: 'full' | 'thumb' = 'full'): string | undefined {
    const rec = this.byId(id);
    return rec && this.urls.get(rec, which);
  }

  byId(id: string): PhotoRecord | undefined {
    return this.photos.find((p) => p.id === id);
  }

  start(): void {
    this.send({ type: 'photos-list' });
  }

  add(files: File[]): void {
    if (files.length) this.send({ type: 'photos-add', files });
  }

  remove(ids: string[]): void {
    this.send({ type: 'photos-remove', ids });
    if (this.explained && ids.includes(this.explained.photo)) this.explained = null;
    // A photo removed while it is being explained: its answer, when it comes, is dropped.
    if (this.explaining && ids.includes(this.explaining)) {
      this.explaining = null;
      this.explainReq = ++this.req;
    }
  }

  cancel(): void {
    this.send({ type: 'photos-cancel' });
  }

  /** A photo to open explained, with the channel it was opened from (a dataset example clicked), for the page. */
  focus = $state<{ photo: string; layer: string; channel: number } | null>(null);

  explain(photo: string, layers: string[], pinned?: { layer: string; channel: number }): void {
    this.explaining = photo;
    this.error = null;
    const req = (this.explainReq = ++this.req);
    this.send({ type: 'explain-photo', req, photo, layers, n: TOP_CHANNELS, pinned });
  }

  /** Examples of these channels of the model on screen, from what was received (undefined: not yet). */
  get(layer: string, channel: number): ChannelExamples | undefined {
    const key = this.modelKey();
    return key ? this.examples.get(examplesKey(key, layer, channel)) : undefined;
  }

  /** Asks for the examples of channels not received or asked yet (gathered into one message per turn). */
  want(layer: string, channels: number[]): void {
    const key = this.modelKey();
    if (!key || !this.photos.length) return;
    const todo = channels.filter((c) => !this.examples.has(examplesKey(key, layer, c)));
    this.requests.gather(key, layer, todo, (batch) => {
      if (this.modelKey() !== key) return;
      const req = ++this.req;
      const wants = [...batch].map(([l, set]) => ({ layer: l, channels: [...set] }));
      for (const w of wants) this.requests.markAsked(key, w.layer, w.channels, req);
      this.send({ type: 'examples', req, wants, k: EXAMPLES_K });
    });
  }

  /** The examples of channels, asked now (for an export): resolves when the worker answers. */
  fetch(layer: string, channels: number[]): Promise<ChannelExamples[]> {
    const req = ++this.req;
    const answer = this.requests.wait(req);
    this.send({ type: 'examples', req, wants: [{ layer, channels }], k: EXAMPLES_K });
    return answer;
  }

  /** A fresh worker knows nothing of the requests in flight. */
  workerRestarted(): void {
    this.requests.reset('the worker restarted before it answered');
    this.explaining = null;
    this.version++;
    // Work cut off by the restart: what was stored so far is kept; the list is read again.
    if (this.progress && !this.progress.finished) {
      this.progress = { ...this.progress, finished: true, stopped: true };
      if (this.progress.work === 'adding') this.lastAdd = this.progress;
      this.send({ type: 'photos-list' });
    }
  }

  /** Takes the photo set's replies; false for any other message. */
  handle(m: FromWorker): boolean {
    switch (m.type) {
      case 'photos':
        this.setPhotos(m.photos);
        return true;
      case 'photos-progress':
        this.progress = m.progress;
        if (m.progress.work === 'adding') this.lastAdd = m.progress.finished ? m.progress : null;
        return true;
      case 'photo-explained':
        if (m.req === this.explainReq) {
          this.explained = m.result;
          this.explaining = null;
        }
        return true;
      case 'examples':
        this.error = null;
        this.requests.settle(m.req, m.results);
        for (const r of m.results) {
          const k = examplesKey(m.modelKey, r.layer, r.channel);
          this.requests.answered(k, m.req);
          this.examples.set(k, r);
        }
        return true;
      case 'photo-error':
        if (this.requests.settle(m.req, new Error(m.message))) return true;
        if (m.req === this.explainReq) this.explaining = null;
        else this.requests.failed(m.req);
        this.error = m.message;
        return true;
      default:
        return false;
    }
  }

  private setPhotos(list: PhotoRecord[]) {
    const before = this.photos.map((p) => p.id).join();
    this.photos = list;
    this.urls.keepOnly(list.map((p) => p.id));
    if (before !== list.map((p) => p.id).join()) {
      // Another set: every example may change; views ask again.
      this.examples.clear();
      this.requests.reset(null);
      this.version++;
    }
  }
}
