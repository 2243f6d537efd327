/**
 * The person's own models as the studio sees them: the list the worker keeps in the browser (IndexedDB), the open
 * dialog's input-range check on sample photos, and the list's edits (range, rename, delete). The worker does the
 * work; this holds its last answers for the views.
 */
import type { CheckImage, FromWorker, InputMapping, ModelSource, RangeCheck, ToWorker, UserModelInfo } from '../protocol.ts';

/** The photos every range check runs on (served with the studio), besides a person's own test images. */
export const SAMPLE_PHOTOS = ['cat', 'airplane', 'portrait'];

export interface RangeCheckState {
  busy: boolean;
  checks: RangeCheck[];
  inputShape: [number, number, number] | null;
  /** The input range the model itself declares (a Rescaling layer), and why. */
  declared: { range: [number, number]; why: string } | null;
  error: string | null;
}

/** What the library needs from the studio: the model on screen, reopening it, and following a rename. */
export interface LibraryHost {
  send(m: ToWorker): void;
  currentModelId(): string;
  reopen(modelId: string): void;
  renamed(from: string, to: string): void;
}

export class ModelLibrary {
  /** Models a person brought, kept in the browser. */
  models = $state<UserModelInfo[]>([]);
  rangeCheck = $state<RangeCheckState>({ busy: false, checks: [], inputShape: null, declared: null, error: null });

  constructor(private readonly host: LibraryHost) {}

  /** Top predictions per input range on the sample photos and on the person's own test images, if any. */
  checkRanges(source: ModelSource, ranges: InputMapping[], own: File[] = []) {
    this.rangeCheck = { busy: true, checks: [], inputShape: null, declared: null, error: null };
    const samples: CheckImage[] = [...SAMPLE_PHOTOS.map((name) => ({ name })), ...own.map((f) => ({ name: f.name, blob: f }))];
    this.host.send({ type: 'check-ranges', source, ranges, samples });
  }

  list() {
    this.host.send({ type: 'list-models' });
  }

  delete(name: string) {
    this.host.send({ type: 'delete-model', name });
  }

  /** Changes a kept model's input range; the model reopens with it when it is the one on screen. */
  setRange(name: string, mapping: InputMapping) {
    this.host.send({ type: 'set-model-range', name, mapping });
    if (this.host.currentModelId() === `user:${name}`) this.host.reopen(`user:${name}`);
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
    else if (m.type === 'range-check')
      this.rangeCheck = { busy: false, checks: m.checks, inputShape: m.inputShape, declared: m.declared, error: null };
    else if (m.type === 'range-check-error')
      this.rangeCheck = { busy: false, checks: [], inputShape: null, declared: null, error: m.message };
    else return false;
    return true;
  }
}
