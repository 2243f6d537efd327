/**
 * The person's own models as the studio sees them: the list the worker keeps in the browser (IndexedDB), the open
 * dialog's input-range check on sample photos, and the list's edits (range, rename, delete). The worker does the
 * work; this holds its last answers for the views.
 */
import type { CheckImage, FromWorker, InputMapping, ModelSource, RangeCheck, ToWorker, UserModelInfo } from '../protocol.ts';

/** The photos every range check runs on (served with the studio), besides a person's own test images. */
export const SAMPLE_PHOTOS = ['cat', 'airplane', 'portrait'];

export interface RangeCheckState {
  /** The model the check is about (what the dialog's form held when it asked); null before any check. */
  source: ModelSource | null;
  busy: boolean;
  checks: RangeCheck[];
  inputShape: [number, number, number] | null;
  /** The input range the model itself declares (a Rescaling layer), and why. */
  declared: { range: [number, number]; why: string } | null;
  error: string | null;
}

/** What the library needs from the studio: the model on screen, reopening it, following a rename or a delete. */
export interface LibraryHost {
  send(m: ToWorker): void;
  currentModelId(): string;
  reopen(modelId: string): void;
  renamed(from: string, to: string): void;
  /** The model on screen was deleted: it can no longer be reopened, linked or picked again. */
  deletedOnScreen(name: string): void;
}

export class ModelLibrary {
  /** Models a person brought, kept in the browser. */
  models = $state<UserModelInfo[]>([]);
  rangeCheck = $state<RangeCheckState>({ source: null, busy: false, checks: [], inputShape: null, declared: null, error: null });
  /** The latest check asked for: an answer to an earlier one (the worker answers in order) is not this one's. */
  private checkReq = 0;

  constructor(private readonly host: LibraryHost) {}

  /** Top predictions per input range on the sample photos and on the person's own test images, if any. */
  checkRanges(source: ModelSource, ranges: InputMapping[], own: File[] = []) {
    const req = ++this.checkReq;
    this.rangeCheck = { source, busy: true, checks: [], inputShape: null, declared: null, error: null };
    const samples: CheckImage[] = [...SAMPLE_PHOTOS.map((name) => ({ name })), ...own.map((f) => ({ name: f.name, blob: f }))];
    this.host.send({ type: 'check-ranges', req, source, ranges, samples });
  }

  list() {
    this.host.send({ type: 'list-models' });
  }

  /** Whether the kept model `name` is the one on screen. */
  onScreen(name: string): boolean {
    return this.host.currentModelId() === `user:${name}`;
  }

  /** Deletes a kept model from the browser (its renders stay in the cache, keyed by the model's content). */
  delete(name: string) {
    this.host.send({ type: 'delete-model', name });
    if (this.onScreen(name)) this.host.deletedOnScreen(name);
  }

  /** Changes a kept model's input range; the model reopens with it when it is the one on screen. */
  setRange(name: string, mapping: InputMapping) {
    this.host.send({ type: 'set-model-range', name, mapping });
    if (this.onScreen(name)) this.host.reopen(`user:${name}`);
  }

  rename(name: string, to: string) {
    this.host.send({ type: 'rename-model', name, to });
    this.host.renamed(name, to);
  }

  /** The kept model behind a studio model id ("user:<name>"), if it is one. */
  kept(modelId: string): UserModelInfo | undefined {
    return this.models.find((m) => `user:${m.name}` === modelId);
  }

  /** Takes the library's replies; false for any other message. */
  handle(m: FromWorker): boolean {
    if (m.type === 'user-models') this.models = m.models;
    else if (m.type === 'range-check' || m.type === 'range-check-error') {
      if (m.req !== this.checkReq) return true;
      const { source } = this.rangeCheck;
      this.rangeCheck =
        m.type === 'range-check'
          ? { source, busy: false, checks: m.checks, inputShape: m.inputShape, declared: m.declared, error: null }
          : { source, busy: false, checks: [], inputShape: null, declared: null, error: m.message };
    } else return false;
    return true;
  }
}

/** Whether two sources name the same model: the same URL, or the very same files. */
export function sameSource(a: ModelSource | null, b: ModelSource | null): boolean {
  if (!a || !b || a.kind !== b.kind) return false;
  if (a.kind === 'url' && b.kind === 'url') return a.url === b.url;
  if (a.kind === 'files' && b.kind === 'files')
    return a.files.length === b.files.length && a.files.every((f, i) => f === b.files[i]);
  return a.kind === 'stored' && b.kind === 'stored' && a.name === b.name;
}
