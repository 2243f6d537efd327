/**
 * The studio's state on the main thread: the worker connection (restarted if it dies), the model's layers, one card
 * per rendered or requested image, the queue, the settings for new jobs, and the IndexedDB cache behind them.
 */
import { SvelteMap } from 'svelte/reactivity';
import { decode } from 'fast-png';
import type { LayerInfo } from '../engine/model.ts';
import { encodePng } from '../export/png.ts';
import { modelInfo, registryEntry, DEFAULT_MODEL_ID, REGISTRY } from '../models/registry.ts';
import {
  DEFAULT_JOB_SETTINGS,
  jobKey,
  type BackendChoice,
  type CheckImage,
  type FromWorker,
  type InputMapping,
  type Job,
  type JobSettings,
  type ModelSource,
  type QueueState,
  type RangeCheck,
  type ToWorker,
  type UserModelInfo,
} from '../protocol.ts';
import { QuotaError, RenderCache, type RenderRecord } from '../store/cache.ts';

export interface Frame {
  step: number;
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  value: number;
}

export interface Card {
  key: string;
  layer: string;
  channel: number;
  variant: number;
  settings: JobSettings;
  status: 'queued' | 'running' | 'done' | 'failed';
  /** Latest image; every streamed snapshot replaces it. */
  frame: Frame | null;
  frames: Frame[];
  /** How many times the image was updated while rendering (the live stream, for tests and the UI). */
  updates: number;
  steps: number;
  value: number | null;
  curve: { step: number; value: number }[];
  seconds: number | null;
  backend: string | null;
  fromCache: boolean;
  error: string | null;
}

/**
 * Queue priorities: a click beats what is on screen, which beats background work; among clicks and among visible
 * bands the most recent goes first.
 */
export const SAMPLE_PHOTOS = ['cat', 'airplane', 'portrait'];

/** Sizes offered for new renders; a network smaller than the smallest gets its own input size offered too. */
export const RENDER_SIZES = [64, 96, 128, 160, 224];

/**
 * The render size after a model loads. A network whose input is under 64 px (a 28 px digit network) sees patterns at
 * its own scale, so it renders at its input size; back on a larger network, such a small size returns to the default.
 */
export function renderSizeFor(inputShape: [number, number, number], current: number): number {
  const side = Math.max(inputShape[0], inputShape[1]);
  if (side < RENDER_SIZES[0]) return side;
  return current < RENDER_SIZES[0] ? DEFAULT_JOB_SETTINGS.size : current;
}

const priorityOf = (why: 'background' | 'visible' | 'clicked') =>
  why === 'background' ? 0 : (why === 'clicked' ? 2e12 : 1e12) + Date.now();

function rgbaFromPng(png: Uint8Array): { width: number; height: number; rgba: Uint8ClampedArray } {
  const img = decode(png);
  const src = img.data as Uint8Array;
  if (img.channels === 4) return { width: img.width, height: img.height, rgba: new Uint8ClampedArray(src) };
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  for (let p = 0; p < img.width * img.height; p++) {
    rgba[p * 4] = src[p * img.channels];
    rgba[p * 4 + 1] = src[p * img.channels + 1];
    rgba[p * 4 + 2] = src[p * img.channels + 2];
    rgba[p * 4 + 3] = 255;
  }
  return { width: img.width, height: img.height, rgba };
}

export class Studio {
  backend = $state<{ name: string; threads: number | null; renderer: string | null; note: string | null } | null>(null);
  backendChoice = $state<BackendChoice>('auto');
  modelId = $state(DEFAULT_MODEL_ID);
  layers = $state<LayerInfo[]>([]);
  /** The loaded network's input [h, w, channels]. */
  inputShape = $state<[number, number, number] | null>(null);
  modelError = $state<string | null>(null);
  loading = $state(true);
  settings = $state<JobSettings>({ ...DEFAULT_JOB_SETTINGS });
  /** Images per clicked channel: more than one renders diverse variants together (see the diversity weight). */
  variants = $state(1);
  queue = $state<QueueState>({ pending: 0, running: 0, paused: false, msPerStep: 0, stepsLeft: 0 });
  cards = new SvelteMap<string, Card>();
  messages = $state<{ id: number; kind: 'info' | 'error'; text: string }[]>([]);
  workerRestarts = $state(0);
  cacheCount = $state(0);
  modelLoadedAt = $state<number | null>(null);

  private worker: Worker | null = null;
  private cache: RenderCache | null = null;
  private outstanding = new Map<string, Job>();
  private clicked = new Set<string>();
  private previousModel: string | null = null;
  private pendingLoad: ToWorker | null = null;
  private msgId = 0;

  readonly models = REGISTRY;

  /** Class names of the current model (output index = position + labelOffset). */
  labels = $state<string[]>([]);
  labelOffset = $state(0);
  /** Models a person brought, kept in the browser. */
  userModels = $state<UserModelInfo[]>([]);
  rangeCheck = $state<{
    busy: boolean;
    checks: RangeCheck[];
    inputShape: [number, number, number] | null;
    declared: { range: [number, number]; why: string } | null;
    error: string | null;
  }>({
    busy: false,
    checks: [],
    inputShape: null,
    declared: null,
    error: null,
  });
  /** The message that loads the current model (sent again to a restarted worker). */
  private loadMessage: ToWorker | null = null;

  constructor(private readonly options: { modelId?: string; settings?: Partial<JobSettings>; backend?: BackendChoice } = {}) {
    if (options.modelId) this.modelId = options.modelId;
    if (options.settings) this.settings = { ...this.settings, ...options.settings };
    if (options.backend) this.backendChoice = options.backend;
  }

  async start(): Promise<void> {
    try {
      this.cache = await RenderCache.open();
      this.cacheCount = await this.cache.count();
    } catch (e) {
      this.note('error', `IndexedDB is unavailable; renders will not be kept (${(e as Error).message})`);
    }
    this.spawn();
    this.listModels();
    await this.loadModel(this.modelId);
  }

  note(kind: 'info' | 'error', text: string) {
    this.messages = [...this.messages.slice(-4), { id: ++this.msgId, kind, text }];
  }

  dismiss(id: number) {
    this.messages = this.messages.filter((m) => m.id !== id);
  }

  private send(m: ToWorker) {
    // Reactive state is proxied and cannot be cloned into the worker: send a plain snapshot (File objects stay).
    this.worker?.postMessage($state.snapshot(m));
  }

  /** Starts a worker; if it dies, a new one takes over and the unfinished jobs run again. */
  private spawn() {
    const w = new Worker(new URL('../../../workers/viz.worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (ev: MessageEvent<FromWorker>) => this.onMessage(ev.data);
    w.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      this.recover(ev.message || 'the worker stopped');
    };
    this.worker = w;
    this.send({ type: 'init', backend: this.backendChoice });
  }

  private crashes: number[] = [];

  private recover(reason: string) {
    this.worker?.terminate();
    this.worker = null;
    this.workerRestarts++;
    // A worker that dies again and again (it cannot even start) is not restarted forever.
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < 60_000), now];
    if (this.crashes.length >= 4) {
      this.note(
        'error',
        `The worker keeps failing (${reason}); stopped restarting it. Reload the page or choose another backend.`,
      );
      return;
    }
    this.note(
      'error',
      `Worker crashed (${reason}); restarted it and queued ${this.outstanding.size} unfinished render(s) again.`,
    );
    for (const card of [...this.cards.values()]) if (card.status === 'running') this.update(card.key, { status: 'queued' });
    this.spawn();
    if (this.loadMessage) this.send(this.loadMessage);
    if (this.outstanding.size) this.send({ type: 'enqueue', jobs: [...this.outstanding.values()] });
  }

  /** Test hook: makes the worker fail as a crash would. */
  crashWorkerForTest() {
    this.send({ type: 'test-crash' });
  }

  /** Test hook: loses the worker's WebGL context (when it runs WebGL). */
  loseWebglContextForTest() {
    this.send({ type: 'test-lose-context' });
  }

  setBackend(choice: BackendChoice) {
    this.backendChoice = choice;
    this.worker?.terminate();
    this.worker = null;
    for (const card of [...this.cards.values()]) if (card.status === 'running') this.update(card.key, { status: 'queued' });
    this.spawn();
    if (this.loadMessage) this.send(this.loadMessage);
    if (this.outstanding.size) this.send({ type: 'enqueue', jobs: [...this.outstanding.values()] });
  }

  /** Loads a registry model (its id) or a model kept in the browser ("user:<name>"). */
  async loadModel(id: string) {
    const entry = registryEntry(id);
    if (entry) {
      await this.switchTo(id, { type: 'load-model', modelId: id, baseUrl: `/models/${id}/`, info: modelInfo(entry) });
    } else if (id.startsWith('user:')) {
      await this.switchTo(id, { type: 'open-model', modelId: id, source: { kind: 'stored', name: id.slice(5) }, mapping: null });
    } else {
      this.modelError = `unknown model ${id}`;
    }
  }

  /** Opens a person's own model (URL or files) with the chosen input range; it is kept in the browser as `name`. */
  async openUserModel(source: ModelSource, name: string, mapping: InputMapping) {
    const id = `user:${name}`;
    await this.switchTo(id, { type: 'open-model', modelId: id, source, mapping });
  }

  /** Top predictions per input range on the sample photos and on the person's own test images, if any. */
  checkRanges(source: ModelSource, ranges: InputMapping[], own: File[] = []) {
    this.rangeCheck = { busy: true, checks: [], inputShape: null, declared: null, error: null };
    const samples: CheckImage[] = [...SAMPLE_PHOTOS.map((name) => ({ name })), ...own.map((f) => ({ name: f.name, blob: f }))];
    this.send({ type: 'check-ranges', source, ranges, samples });
  }

  listModels() {
    this.send({ type: 'list-models' });
  }

  deleteModel(name: string) {
    this.send({ type: 'delete-model', name });
  }

  renameModel(name: string, to: string) {
    this.send({ type: 'rename-model', name, to });
  }

  private async switchTo(id: string, message: ToWorker) {
    this.loading = true;
    this.modelError = null;
    this.cancelAll();
    // Until the worker answers, the previous model (and its bands) stays; a failed load goes back to it.
    this.previousModel = this.layers.length ? this.modelId : null;
    this.modelId = id;
    this.pendingLoad = message;
    this.send(message);
    await this.restoreFromCache(id);
  }

  /** Shows every image already rendered for this model without rendering it again. */
  private async restoreFromCache(modelId: string) {
    if (!this.cache) return;
    let records: RenderRecord[] = [];
    try {
      records = await this.cache.forModel(modelId);
    } catch (e) {
      this.note('error', `Could not read the cache: ${(e as Error).message}`);
    }
    for (const r of records) {
      const img = rgbaFromPng(r.png);
      const frames = r.snapshots.map((s) => {
        const f = rgbaFromPng(s.png);
        return {
          step: s.step,
          width: f.width,
          height: f.height,
          rgba: f.rgba,
          value: r.curve.find((c) => c.step === s.step)?.value ?? NaN,
        };
      });
      const final = { step: r.settings.steps, width: img.width, height: img.height, rgba: img.rgba, value: r.value };
      this.cards.set(r.key, {
        key: r.key,
        layer: r.layer,
        channel: r.channel,
        variant: r.variant,
        settings: r.settings,
        status: 'done',
        frame: final,
        frames: frames.length ? frames : [final],
        updates: 0,
        steps: r.settings.steps,
        value: r.value,
        curve: r.curve,
        seconds: r.seconds,
        backend: r.backend,
        fromCache: true,
        error: null,
      });
    }
  }

  cardFor(layer: string, channel: number, variant = 0, settings: JobSettings = this.settings): Card | undefined {
    return this.cards.get(jobKey({ modelId: this.modelId, layer, channel, variant, settings }));
  }

  /** Asks for renders; cached or finished ones are not rendered again, queued ones move up. */
  request(
    layer: string,
    channels: number[],
    why: 'background' | 'visible' | 'clicked',
    settings: JobSettings = this.settings,
    variants = 1,
  ) {
    const priority = priorityOf(why);
    if (why === 'clicked') for (const c of channels) this.clicked.add(`${layer}|${c}`);
    const jobs: Job[] = [];
    const bump: string[] = [];
    const s = $state.snapshot(settings) as JobSettings;
    for (const channel of channels) {
      for (let variant = 0; variant < variants; variant++) {
        const j = { modelId: this.modelId, layer, channel, variant, settings: s };
        const key = jobKey(j);
        const existing = this.cards.get(key);
        if (existing && (existing.status === 'done' || existing.status === 'running')) continue;
        if (existing && existing.status === 'queued') {
          if (why !== 'background') bump.push(key);
          continue;
        }
        const job: Job = { ...j, id: key, priority };
        this.outstanding.set(key, job);
        this.cards.set(key, {
          key,
          layer,
          channel,
          variant,
          settings: s,
          status: 'queued',
          frame: null,
          frames: [],
          updates: 0,
          steps: s.steps,
          value: null,
          curve: [],
          seconds: null,
          backend: null,
          fromCache: false,
          error: null,
        });
        jobs.push(job);
      }
    }
    if (jobs.length) this.send({ type: 'enqueue', jobs });
    if (bump.length) this.send({ type: 'prioritize', ids: bump, priority });
    for (const key of bump) {
      const job = this.outstanding.get(key);
      if (job) job.priority = priority;
    }
  }

  /** A band left the screen: its queued renders that nobody clicked go back to background priority. */
  demote(layer: string, channels: number[], settings: JobSettings = this.settings) {
    const ids: string[] = [];
    for (const channel of channels) {
      if (this.clicked.has(`${layer}|${channel}`)) continue;
      const key = jobKey({ modelId: this.modelId, layer, channel, variant: 0, settings });
      const job = this.outstanding.get(key);
      if (job && this.cards.get(key)?.status === 'queued') {
        job.priority = 0;
        ids.push(key);
      }
    }
    if (ids.length) this.send({ type: 'prioritize', ids, priority: 0 });
  }

  pause() {
    this.send({ type: 'pause' });
  }

  resume() {
    this.send({ type: 'resume' });
  }

  cancelAll() {
    this.send({ type: 'cancel', ids: 'all' });
    for (const [key, card] of this.cards) if (card.status === 'queued' || card.status === 'running') this.cards.delete(key);
    this.outstanding.clear();
  }

  async clearCache() {
    await this.cache?.clear();
    this.cacheCount = 0;
    for (const [key, card] of this.cards) if (card.fromCache) this.cards.delete(key);
    this.note('info', 'Cache cleared.');
  }

  /** Cards are plain objects in a reactive map: every change replaces the card so the views update. */
  private update(key: string, patch: Partial<Card>): Card | undefined {
    const c = this.cards.get(key);
    if (!c) return undefined;
    const next = { ...c, ...patch };
    this.cards.set(key, next);
    return next;
  }

  private onMessage(m: FromWorker) {
    switch (m.type) {
      case 'ready':
        this.backend = { name: m.backend, threads: m.threads, renderer: m.renderer, note: m.note };
        break;
      case 'model':
        if (m.modelId !== this.modelId) return;
        this.loadMessage = this.pendingLoad;
        this.labels = m.labels ?? [];
        this.labelOffset = m.labelOffset;
        this.layers = m.layers;
        this.inputShape = m.inputShape;
        this.settings = { ...this.settings, size: renderSizeFor(m.inputShape, this.settings.size) };
        this.loading = false;
        this.modelLoadedAt = performance.now();
        break;
      case 'model-error':
        this.loading = false;
        this.note('error', `Model ${m.modelId} failed to load: ${m.message}`);
        if (this.previousModel) {
          this.modelId = this.previousModel;
          this.note('info', `Still on ${this.previousModel}.`);
        } else this.modelError = `Model ${m.modelId} failed to load: ${m.message}`;
        break;
      case 'job-started':
        this.update(m.id, { status: 'running' });
        break;
      case 'snapshot': {
        const c = this.cards.get(m.id);
        if (!c) return;
        const frame = { step: m.step, width: m.width, height: m.height, rgba: new Uint8ClampedArray(m.rgba), value: m.value };
        this.update(m.id, { frame, frames: [...c.frames, frame], updates: c.updates + 1, status: 'running' });
        break;
      }
      case 'job-done': {
        this.outstanding.delete(m.id);
        const c = this.update(m.id, { status: 'done', value: m.value, curve: m.curve, seconds: m.seconds, backend: m.backend });
        if (c) void this.store(c);
        break;
      }
      case 'job-failed':
        this.outstanding.delete(m.id);
        this.update(m.id, { status: 'failed', error: m.message });
        this.note('error', `Render failed: ${m.message}`);
        break;
      case 'queue':
        this.queue = m.state;
        break;
      case 'user-models':
        this.userModels = m.models;
        break;
      case 'range-check':
        this.rangeCheck = { busy: false, checks: m.checks, inputShape: m.inputShape, declared: m.declared, error: null };
        break;
      case 'range-check-error':
        this.rangeCheck = { busy: false, checks: [], inputShape: null, declared: null, error: m.message };
        break;
      case 'error':
        this.note('error', m.message);
        break;
      case 'notice':
        this.note('info', m.message);
        break;
    }
  }

  /** Settings and provenance stored with an image (PNG chunk, ZIP manifest). */
  meta(c: Card): Record<string, unknown> {
    return {
      model: this.modelId,
      layer: c.layer,
      channel: c.channel,
      variant: c.variant,
      objective: c.settings.objective,
      seed: c.settings.seed,
      steps: c.settings.steps,
      size: c.settings.size,
      param: c.settings.param,
      transforms: c.settings.transforms,
      diversity: c.settings.diversity,
      value: c.value,
      backend: c.backend,
    };
  }

  pngOf(c: Card, frame: Frame | null = c.frame): Uint8Array {
    if (!frame) throw new Error('nothing rendered yet');
    return encodePng(
      new Uint8Array(frame.rgba.buffer, frame.rgba.byteOffset, frame.rgba.byteLength),
      frame.width,
      frame.height,
      this.meta(c),
    );
  }

  private async store(c: Card) {
    if (!this.cache || !c.frame) return;
    try {
      await this.cache.put({
        key: c.key,
        modelId: this.modelId,
        layer: c.layer,
        channel: c.channel,
        variant: c.variant,
        settings: c.settings,
        width: c.frame.width,
        height: c.frame.height,
        png: this.pngOf(c),
        snapshots: c.frames.map((f) => ({ step: f.step, png: encodePng(new Uint8Array(f.rgba.buffer), f.width, f.height) })),
        curve: c.curve,
        value: c.value ?? NaN,
        seconds: c.seconds ?? NaN,
        backend: c.backend ?? '',
        createdAt: Date.now(),
      });
      this.cacheCount++;
    } catch (e) {
      this.note(
        'error',
        e instanceof QuotaError
          ? `${e.message}. Everything cached so far is kept.`
          : `Could not cache a render: ${(e as Error).message}`,
      );
    }
  }
}
