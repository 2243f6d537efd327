/**
 * The studio's model lifecycle, one explicit state: idle → loading(id) → ready(id) | failed(id, reason).
 *
 * Every load request gets a number; the worker's reply carries it, and a reply to any request but the latest is
 * ignored. The lifecycle also knows what the running worker holds, so that after a failed load it goes back to that
 * model ("still on A"), and after a worker restart (crash, backend change) it loads again what was asked for — not
 * merely what last succeeded, and without keeping a person's model in the browser a second time.
 */
import type { LayerInfo } from '../engine/model.ts';
import type { FromWorker, LoadSpec, ToWorker } from '../protocol.ts';

/** A model the worker has loaded, as the gallery shows it. */
export interface LoadedModel {
  /** The id the person picked (a registry id or "user:<name>"). */
  id: string;
  /** Identity of its renders in the cache and queue. */
  key: string;
  layers: LayerInfo[];
  inputShape: [number, number, number];
  labels: string[];
  labelOffset: number;
  /** Whether a later visit can open it by `id`: a registry model or one kept in this browser (not a link's model). */
  reopenable: boolean;
}

export type ModelState =
  | { phase: 'idle' }
  | { phase: 'loading'; id: string; req: number }
  | { phase: 'ready'; id: string; req: number; model: LoadedModel }
  | { phase: 'failed'; id: string; req: number; reason: string };

export interface LifecycleIO {
  send(m: ToWorker): void;
  /** Called after every change of `state` (and of `shown`). */
  changed(state: ModelState): void;
  note(kind: 'info' | 'error', text: string): void;
}

/** A load that kills the worker this many times is given up. */
export const LOAD_CRASH_LIMIT = 2;

/** A registry model, a kept one, or one being kept as it loads: its id opens it again on another visit. */
const reopenable = (spec: LoadSpec) => spec.kind === 'registry' || spec.source.kind === 'stored' || spec.keepAs !== null;

/** The same request when sent again: a person's model is not stored a second time (it may have been deleted since). */
function replayable(spec: LoadSpec): LoadSpec {
  return spec.kind === 'user' ? { ...spec, keepAs: null } : spec;
}

export class ModelLifecycle {
  state: ModelState = { phase: 'idle' };
  /** The model whose bands are on screen: the last one that loaded, kept while another loads. */
  shown: LoadedModel | null = null;
  private req = 0;
  /** What the current state is about (the model asked for last). */
  private intent: LoadSpec | null = null;
  /** What the running worker holds, and the request that loaded it. */
  private held: { spec: LoadSpec; model: LoadedModel; req: number } | null = null;
  private loadCrashes = new Map<string, number>();

  constructor(private readonly io: LifecycleIO) {}

  /** Asks the worker for a model; whatever was asked before is superseded. */
  load(spec: LoadSpec): number {
    this.intent = spec;
    this.loadCrashes.delete(spec.modelId);
    return this.begin(spec);
  }

  private begin(spec: LoadSpec): number {
    const req = ++this.req;
    this.set({ phase: 'loading', id: spec.modelId, req });
    this.io.send({ type: 'load', req, spec });
    return req;
  }

  private set(state: ModelState) {
    this.state = state;
    this.io.changed(state);
  }

  /** Handles the worker's answer to a load; returns false for a stale reply (an older request), which changes nothing. */
  onReply(m: Extract<FromWorker, { type: 'model' | 'model-error' }>): boolean {
    if (m.req !== this.req || this.state.phase !== 'loading' || !this.intent) return false;
    if (m.type === 'model') {
      const model: LoadedModel = {
        id: m.modelId,
        key: m.key,
        layers: m.layers,
        inputShape: m.inputShape,
        labels: m.labels ?? [],
        labelOffset: m.labelOffset,
        reopenable: reopenable(this.intent),
      };
      this.intent = replayable(this.intent);
      this.held = { spec: this.intent, model, req: m.req };
      this.shown = model;
      this.set({ phase: 'ready', id: model.id, req: m.req, model });
      return true;
    }
    this.io.note('error', `Model ${m.modelId} failed to load: ${m.message}`);
    this.fallBack(m.modelId, m.message);
    return true;
  }

  /** After a failed load: back to the model the worker still holds, or failed when it holds none. */
  private fallBack(id: string, reason: string) {
    if (this.held) {
      this.intent = this.held.spec;
      this.shown = this.held.model;
      this.io.note('info', `Still on ${this.held.model.id}.`);
      this.set({ phase: 'ready', id: this.held.model.id, req: this.held.req, model: this.held.model });
    } else {
      this.shown = null;
      this.set({ phase: 'failed', id, req: this.req, reason });
    }
  }

  /**
   * A fresh worker took over (after a crash, a hang or a backend change): it holds nothing, so the model asked for is
   * loaded again. `crashed`: the old one died, and a load in flight counts that against the model being loaded.
   */
  workerReplaced(crashed: boolean) {
    this.held = null;
    const s = this.state;
    if (!this.intent || s.phase === 'idle' || s.phase === 'failed') return;
    if (s.phase === 'loading' && crashed) {
      const n = (this.loadCrashes.get(s.id) ?? 0) + 1;
      this.loadCrashes.set(s.id, n);
      if (n >= LOAD_CRASH_LIMIT) {
        const reason = `the worker crashed ${n} times while loading it`;
        this.io.note('error', `Model ${s.id} failed to load: ${reason}.`);
        this.shown = null;
        this.set({ phase: 'failed', id: s.id, req: s.req, reason });
        return;
      }
    }
    this.begin(replayable(this.intent));
  }

  /** A kept model was renamed: the current request follows it. */
  renamed(from: string, to: string) {
    const spec = this.intent;
    if (spec?.kind !== 'user' || spec.modelId !== `user:${from}`) return;
    const source = spec.source.kind === 'stored' ? { kind: 'stored' as const, name: to } : spec.source;
    this.intent = { ...spec, modelId: `user:${to}`, source };
    const rename = (m: LoadedModel | null) => (m && m.id === `user:${from}` ? { ...m, id: `user:${to}` } : m);
    this.shown = rename(this.shown);
    if (this.held) this.held = { ...this.held, spec: this.intent, model: rename(this.held.model)! };
    const s = this.state;
    if (s.phase === 'ready') this.set({ ...s, id: `user:${to}`, model: rename(s.model)! });
    else if (s.phase !== 'idle') this.set({ ...s, id: `user:${to}` });
  }

  /** The id the studio is on (or going to). */
  get id(): string | null {
    return this.state.phase === 'idle' ? null : this.state.id;
  }
}
