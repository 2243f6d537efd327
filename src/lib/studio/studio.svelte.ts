/**
 * The studio's state on the main thread, composed of small parts: the worker connection (worker-client.ts), the
 * model lifecycle (lifecycle.ts), the cards (cards.ts), the render requests (render-requests.svelte.ts), the cache
 * behind them (cached-cards.ts) and shared links (link-focus.svelte.ts). This class wires them to Svelte's reactivity
 * and to the settings a person picks.
 */
import { PhotoLab } from './photo-lab.svelte.ts';
import { PhotoSet } from './photo-set.svelte.ts';
import type { LayerInfo } from '../engine/model.ts';
import type { ImageMeta } from '../export/image-meta.ts';
import { cardMeta, cardPng } from './card-png.ts';
import { modelInfo, registryEntry, DEFAULT_MODEL_ID, REGISTRY } from '../models/registry.ts';
import {
  DEFAULT_JOB_SETTINGS,
  jobKey,
  type BackendChoice,
  type BackendReady,
  type Combo,
  type FromWorker,
  type InputMapping,
  type JobSettings,
  type ModelSource,
  type QueueState,
  type ToWorker,
  type LoadSpec,
} from '../protocol.ts';
import { CachedCards } from './cached-cards.ts';
import { AskedRenders } from './asked-renders.ts';
import { CardStore } from './card-store.svelte.ts';
import type { Card, Frame } from './cards.ts';
import { ModelLifecycle, type LoadedModel, type ModelState } from './lifecycle.ts';
import { JobBook, JOB_CRASH_LIMIT } from './job-book.ts';
import { RenderRequests } from './render-requests.svelte.ts';
import type { RequestOrigin } from './request-priority.ts';
import { LinkFocus, type LinkModelUrl, type LinkTarget } from './link-focus.svelte.ts';
import { WorkerClient, type ClientOptions, type Replacement } from './worker-client.ts';
import { checkJobSettings, singleImage } from '../settings.ts';
import { ModelLibrary } from './model-library.svelte.ts';
import { WorkerTestHooks } from './test-hooks.ts';
import { visitMemory } from './visit-memory.ts';

export type { Card, Frame };

export { JOB_CRASH_LIMIT } from './job-book.ts';

/** Sizes offered for new renders; a network smaller than the smallest gets its own input size offered too. */
export const RENDER_SIZES = [64, 96, 128, 160, 224];

/** Step counts offered for new renders (a link's own count is offered too). */
export const STEP_CHOICES = [64, 128, 160, 256, 512, 1024];

/**
 * The render size after a model loads. A network whose input is under 64 px (a 28 px digit network) sees patterns at
 * its own scale, so it renders at its input size; back on a larger network, such a small size returns to the default.
 */
export function renderSizeFor(inputShape: [number, number, number], current: number): number {
  const side = Math.max(inputShape[0], inputShape[1]);
  if (side < RENDER_SIZES[0]) return side;
  return current < RENDER_SIZES[0] ? DEFAULT_JOB_SETTINGS.size : current;
}

/** The running backend as the header shows it. */
export type BackendState = Omit<BackendReady, 'backend' | 'gpus'> & { name: string };

export class Studio {
  backend = $state<BackendState | null>(null);
  backendChoice = $state<BackendChoice>('auto');
  /** The GPU seen by the last worker is software-rendered (kept while a new worker starts). */
  softwareGpu = $state(false);
  /** The model lifecycle's state (see lifecycle.ts), mirrored for the views. */
  modelState = $state<ModelState>({ phase: 'idle' });
  /**
   * Counts model switches. A switch cancels every render, so the gallery's background work must be asked for again
   * when the model is ready — even when it is the same model, picked again before the other one loaded.
   */
  modelSwitches = $state(0);
  /**
   * Times the cache was emptied (here or in another tab): the cards read from it went, and with background rendering
   * on the gallery asks again for what it shows, as on opening the page.
   */
  cacheClears = $state(0);
  /** The model whose bands are on screen (kept while another one loads). */
  shown = $state<LoadedModel | null>(null);
  /** The photo lab (convolution playground, adversarial examples), answered by the worker. */
  readonly lab = new PhotoLab((m) => this.send(m));
  /** The person's photos (kept in the browser by the worker): explained one by one, and dataset examples per channel. */
  readonly photos = new PhotoSet(
    (m) => this.send(m),
    () => this.modelKey,
  );
  settings = $state<JobSettings>({ ...DEFAULT_JOB_SETTINGS });
  /**
   * What the detail view's "variants" asks for (kept between openings): that many images of the open channel,
   * optimized together and pushed apart by the diversity weight. The gallery itself renders single images.
   */
  variantChoice = $state({ variants: 4, diversity: 100 });
  queue = $state<QueueState>({
    pending: 0,
    running: 0,
    paused: false,
    msPerStep: 0,
    etaMs: null,
    etaByLayer: {},
    elsewhere: 0,
    engines: 0,
  });
  /** The person paused the queue: a worker that takes over (a backend switch, a crash) starts paused too. */
  private pausedByUser = false;
  cards = new CardStore();
  messages = $state<{ id: number; kind: 'info' | 'error'; text: string }[]>([]);
  /** The render cache in this browser (IndexedDB) behind the cards, shared with the other tabs. */
  private readonly cache = new CachedCards({
    cards: this.cards,
    modelKey: () => this.modelKey,
    note: (kind, text) => this.note(kind, text),
    cancel: (keys) => this.requests.cancel(keys),
    cleared: () => this.cacheClears++,
  });
  /** Models a person brought, kept in the browser, and the open dialog's range check. */
  readonly library = new ModelLibrary({
    send: (m) => this.send(m),
    currentModelId: () => this.modelId,
    reopen: (id) => this.loadModel(id),
    renamed: (from, to) => this.lifecycle.renamed(from, to),
    deletedOnScreen: (name) => {
      this.note('info', `Deleted ${name}, the model on screen; opening ${DEFAULT_MODEL_ID}.`);
      this.loadModel(DEFAULT_MODEL_ID);
    },
  });
  /** What the end-to-end tests do to the worker (on the page with `?hooks` only). */
  readonly testHooks = new WorkerTestHooks((m) => this.send(m));

  readonly models = REGISTRY;
  private readonly initialModel: string;
  private client: WorkerClient | null = null;
  private readonly clientOptions: ClientOptions;
  private readonly lifecycle: ModelLifecycle;
  private readonly book = new JobBook();
  /** What a person asked for and had not got when the page went away: asked for again after a reload. */
  private readonly asked = new AskedRenders();
  private get outstanding() {
    return this.book.outstanding;
  }
  /** What the gallery and a person asked to render, and taking it back (render-requests.svelte.ts). */
  private readonly requests = new RenderRequests(this.book, this.cards, {
    send: (m) => this.send(m),
    control: (m) => this.client?.control(m),
    model: () => (this.modelState.phase === 'ready' ? this.modelState.model : null),
    modelKey: () => this.modelKey,
    note: (kind, text) => this.note(kind, text),
  });
  private msgId = 0;

  /** The model to open instead when the remembered one no longer loads (deleted, or gone from the server). */
  private fallbackModel: string | null;
  /** The page's link (its image, opened once its model is ready) and links to images (link-focus.svelte.ts). */
  readonly link: LinkFocus;

  constructor(
    options: {
      modelId?: string;
      settings?: Partial<JobSettings>;
      backend?: BackendChoice;
      fallbackModel?: string;
      focus?: LinkTarget | null;
      /** A link's model given by URL: opened from there (not kept in the browser). */
      modelUrl?: LinkModelUrl | null;
      /** The worker connection's time limits (the end-to-end tests shorten them: main.ts, with `hooks`). */
      client?: ClientOptions;
    } = {},
  ) {
    this.link = new LinkFocus(
      {
        modelId: () => this.modelId,
        kept: (id) => this.library.kept(id),
        note: (kind, text) => this.note(kind, text),
        request: (layer, channels, why, settings) => this.request(layer, channels, why, settings),
      },
      options.focus ?? null,
      options.modelUrl ?? null,
    );
    this.initialModel = options.modelId ?? DEFAULT_MODEL_ID;
    this.clientOptions = options.client ?? {};
    this.fallbackModel = options.fallbackModel ?? null;
    // The gallery renders single images; a link's group (variants) is the focus's own.
    if (options.settings) this.settings = singleImage(checkJobSettings({ ...this.settings, ...options.settings }));
    if (options.backend) this.backendChoice = options.backend;
    this.lifecycle = new ModelLifecycle({
      send: (m) => this.client?.send(m),
      changed: (s) => this.onModelState(s),
      note: (kind, text) => this.note(kind, text),
    });
  }

  /** The model picked (loading, loaded or failed). */
  get modelId(): string {
    return this.modelState.phase === 'idle' ? this.initialModel : this.modelState.id;
  }
  /** The cache identity of the model on screen. */
  get modelKey(): string | null {
    return this.shown?.key ?? null;
  }
  get layers(): LayerInfo[] {
    return this.shown?.layers ?? [];
  }
  get labels(): string[] {
    return this.shown?.labels ?? [];
  }
  get labelOffset(): number {
    return this.shown?.labelOffset ?? 0;
  }
  get loading(): boolean {
    return this.modelState.phase === 'loading' || this.modelState.phase === 'idle';
  }
  get modelError(): string | null {
    return this.modelState.phase === 'failed' ? `Model ${this.modelState.id} failed to load: ${this.modelState.reason}` : null;
  }

  /**
   * Starts the worker, then opens the cache and asks for the model. Called before the page is mounted: the worker's
   * start (its script, tfjs, the wasm backend) runs on the other core while the page builds itself and IndexedDB opens.
   */
  async start(): Promise<void> {
    this.client = new WorkerClient(
      // Vite bundles the worker from this literal `new URL(…, import.meta.url)`: it must stay a plain URL.
      // eslint-disable-next-line svelte/prefer-svelte-reactivity
      () => new Worker(new URL('../../../workers/viz.worker.ts', import.meta.url), { type: 'module' }),
      {
        message: (m) => this.onMessage(m),
        replaced: (why, reason) => this.onReplaced(why, reason),
        gaveUp: (reason) =>
          this.note(
            'error',
            `The worker keeps failing (${reason}); stopped restarting it. Reload the page or choose another backend.`,
          ),
      },
      this.backendChoice,
      this.clientOptions,
    );
    this.client.start();
    // A pause the person left this tab in holds across its reload, before anything is asked of the worker.
    if (this.asked.takePause()) this.pause();
    addEventListener('pagehide', () => {
      this.asked.save(this.book.unsafeByPerson());
      this.asked.savePause(this.pausedByUser);
    });
    await this.cache.open();
    this.library.list();
    this.photos.start();
    const link = this.link.modelUrl;
    if (link)
      this.switchTo({
        kind: 'user',
        modelId: `user:${link.name}`,
        source: { kind: 'url', url: link.url },
        mapping: link.mapping,
        keepAs: null,
      });
    else this.loadModel(this.initialModel);
  }

  note(kind: 'info' | 'error', text: string) {
    this.messages = [...this.messages.slice(-4), { id: ++this.msgId, kind, text }];
  }

  dismiss(id: number) {
    this.messages = this.messages.filter((m) => m.id !== id);
  }

  private send(m: ToWorker) {
    // Reactive state is proxied and cannot be cloned into the worker: send a plain snapshot (File objects stay).
    this.client?.send($state.snapshot(m) as ToWorker);
  }

  /** A fresh worker took over: it gets the model and the unfinished jobs; a job that keeps crashing it is failed. */
  private onReplaced(why: Replacement, reason: string) {
    const crashed = why === 'crash' || why === 'broken';
    for (const card of this.cards.running()) {
      // A render waiting for a click's was not computing: the crash is not held against it.
      if (crashed && !card.waiting && this.book.crashedDuring(card.key))
        this.cards.patch(card.key, {
          status: 'failed',
          error: `the worker crashed ${JOB_CRASH_LIMIT} times while rendering this`,
        });
      else this.cards.patch(card.key, { status: 'queued' });
    }
    if (why === 'crash')
      this.note(
        'error',
        `Worker crashed (${reason}); restarted it and queued ${this.outstanding.size} unfinished render(s) again.`,
      );
    else if (why === 'broken') this.note('error', `The backend failed (${reason}); started a fresh worker.`);
    else if (why === 'unresponsive') this.note('error', `The worker stopped answering (${reason}); started a fresh one.`);
    this.lifecycle.workerReplaced(crashed);
    if (this.pausedByUser) this.client?.control({ type: 'pause' });
    if (this.outstanding.size) this.send({ type: 'enqueue', jobs: [...this.outstanding.values()] });
  }

  setBackend(choice: BackendChoice) {
    this.backendChoice = choice;
    this.backend = null;
    this.client?.setBackend(choice);
    // A choice about this machine, not a link's: the next visit starts on it too (an address with backend= follows
    // the choice instead: page-url.ts).
    visitMemory.rememberBackend(choice);
  }

  /** Loads a registry model (its id) or a model kept in the browser ("user:<name>"). */
  loadModel(id: string) {
    const entry = registryEntry(id);
    if (entry) this.switchTo({ kind: 'registry', modelId: id, baseUrl: `/models/${id}/`, info: modelInfo(entry) });
    else if (id.startsWith('user:'))
      this.switchTo({ kind: 'user', modelId: id, source: { kind: 'stored', name: id.slice(5) }, mapping: null, keepAs: null });
    else {
      this.note('error', `unknown model ${id}`);
      this.openFallback(id);
    }
  }

  /** After the first model failed (or was unknown): the fallback instead, once. False when there is none. */
  private openFallback(failed: string): boolean {
    const fallback = this.fallbackModel;
    if (!fallback || failed === fallback) return false;
    this.fallbackModel = null;
    this.note('info', `Opening ${fallback} instead.`);
    this.loadModel(fallback);
    return true;
  }

  /** Opens a person's own model (URL or files) with the chosen input range; it is kept in the browser as `name`. */
  openUserModel(source: ModelSource, name: string, mapping: InputMapping) {
    this.switchTo({ kind: 'user', modelId: `user:${name}`, source, mapping, keepAs: name });
  }

  private switchTo(spec: LoadSpec) {
    // The jobs asked for belong to the model on screen: a person switching away no longer waits for them.
    this.cancelAll();
    this.modelSwitches++;
    this.lifecycle.load($state.snapshot(spec) as LoadSpec);
  }

  private onModelState(s: ModelState) {
    const before = this.modelState;
    this.modelState = s;
    this.shown = this.lifecycle.shown;
    if (s.phase === 'failed' && this.openFallback(s.id)) return;
    if (s.phase === 'ready') this.fallbackModel = null;
    if (s.phase !== 'ready' || (before.phase === 'ready' && before.model.key === s.model.key)) return;
    const key = s.model.key;
    // Jobs and cards of another model leave (its renders stay in the cache); this model's come back from it.
    this.cancel([...this.outstanding.values()].filter((j) => j.modelId !== key).map((j) => j.id));
    this.cards.keepOnly(key);
    const size = renderSizeFor(s.model.inputShape, this.settings.size);
    if (size !== this.settings.size) this.settings = { ...this.settings, size };
    // The next visit without ?model= opens this model again (a link's model, not kept, would not open by its id).
    if (s.model.reopenable) visitMemory.rememberModel(s.model.id);
    const restored = this.cache.restore(key);
    this.requests.holdUntil(key, restored);
    void restored.then(() => {
      this.askAgain(key);
      if (this.modelState.phase === 'ready' && this.modelKey === key) this.link.open(s.model);
    });
  }

  /** What a person asked for before a reload and had not got, asked for again (what finished is in the cache). */
  private askAgain(modelKey: string) {
    if (this.modelKey !== modelKey) return;
    const before = this.book.outstanding.size;
    for (const a of this.asked.take(modelKey)) this.request(a.layer, a.channels, 'clicked', a.settings);
    const n = this.book.outstanding.size - before;
    if (n)
      this.note(
        'info',
        `${n} render${n === 1 ? '' : 's'} you asked for before the reload ${n === 1 ? 'is' : 'are'} queued again.`,
      );
  }

  /** A link that renders and opens this card's image. */
  linkTo(c: Card): string {
    return this.link.linkTo(c);
  }

  /** Renders in the cache (the header's count). */
  get cacheCount(): number {
    return this.cache.count;
  }

  cardFor(layer: string, channel: number, variant = 0, settings: JobSettings = this.settings): Card | undefined {
    const modelKey = this.modelKey;
    return modelKey ? this.cards.inLayer(layer, jobKey({ modelId: modelKey, layer, channel, variant, settings })) : undefined;
  }

  /**
   * Asks for one channel's image (its whole group, for a variant) as a click, and returns the key of the card to open
   * (variant `variant` of the group): what the detail view does for another seed, a group of variants, a neighbour.
   */
  askFor(layer: string, channel: number, variant: number, settings: JobSettings): string | undefined {
    this.request(layer, [channel], 'clicked', settings);
    return this.cardFor(layer, channel, variant, settings)?.key;
  }

  /** The card's snapshots (a card restored from the cache reads them on first use: cached-cards.ts). */
  framesOf(card: Card): Frame[] {
    return this.cache.framesOf(card);
  }

  /**
   * New settings for new renders (the settings panel). The gallery's own unfinished requests under the old settings are
   * cancelled (RenderRequests.dropStale): the bands ask again under the new settings. What a person asked for stays.
   */
  changeSettings(patch: Partial<JobSettings>) {
    const next = singleImage({ ...this.settings, ...patch });
    // The same settings again (a seed typed over itself) change nothing: the bands keep their requests.
    if (JSON.stringify(next) === JSON.stringify(this.settings)) return;
    this.settings = next;
    this.requests.dropStale(next);
  }

  /** Asks for renders; cached or finished ones are not rendered again, queued ones move up. */
  request(layer: string, channels: number[], why: RequestOrigin, settings: JobSettings = this.settings) {
    this.requests.request(layer, channels, why, settings);
  }

  /** Composed objectives around a rendered card's channel (RenderRequests.compose); returns the new cards' keys. */
  compose(card: Card, combos: Combo[]): string[] {
    return this.requests.compose(card, combos);
  }

  /** A band left the screen (RenderRequests.demote). */
  demote(layer: string, channels: number[], settings: JobSettings = this.settings) {
    this.requests.demote(layer, channels, settings);
  }

  /** The detail view moved on from `key`'s render before it started: what is looked at now goes first. */
  passOver(key: string) {
    this.requests.passOver(key);
  }

  /** Cancels some renders (a card's, a band's): queued ones leave the queue, running ones stop at their next step. */
  cancel(keys: string[]) {
    this.requests.cancel(keys);
  }

  cancelAll() {
    this.requests.cancelAll(this.queue.running + this.queue.pending > 0);
  }

  pause() {
    this.pausedByUser = true;
    this.client?.control({ type: 'pause' });
  }

  resume() {
    this.pausedByUser = false;
    this.client?.control({ type: 'resume' });
  }

  async clearCache() {
    await this.cache.clear();
    this.note('info', 'Cache cleared.');
  }

  private onMessage(m: FromWorker) {
    if (this.lab.handle(m) || this.photos.handle(m) || this.library.handle(m) || this.testHooks.handle(m)) return;
    switch (m.type) {
      case 'ready':
        this.lab.workerRestarted();
        this.photos.workerRestarted();
        this.backend = {
          name: m.backend,
          threads: m.threads,
          simd: m.simd,
          renderer: m.renderer,
          note: m.note,
          software: m.software,
          softwareGpu: m.softwareGpu,
        };
        this.softwareGpu = m.softwareGpu;
        break;
      case 'model':
      case 'model-error':
        if (this.lifecycle.onReply(m) && m.type === 'model') this.client?.progressed();
        break;
      case 'broken':
        this.client?.replace('broken', m.message);
        break;
      case 'job-started':
        this.cards.patchJob(m.id, { status: 'running' });
        break;
      case 'job-requeued':
        this.cards.patchJob(m.id, { status: 'queued', frame: null, frames: [] });
        break;
      case 'job-waiting':
        // Outranked by a click: it keeps its image and goes on from its step afterwards ('job-started').
        this.cards.patchJob(m.id, { waiting: true });
        break;
      case 'snapshot':
        if (this.cards.snapshot(m)) this.client?.progressed();
        break;
      case 'job-done': {
        this.book.finished(m.id, true);
        const c = this.cards.done(m);
        // A render that never sent a snapshot has no image to keep.
        const written = c?.frame ? this.cache.store(c, this.pngOf(c)) : Promise.resolve();
        void written.then(() => {
          this.book.written(m.id);
          // The worker's claim on it goes: another tab waiting on it finds it in the cache (render-claims.ts).
          this.send({ type: 'written', ids: [m.id] });
        });
        break;
      }
      case 'job-failed':
        this.book.finished(m.id);
        if (!this.cards.patchJob(m.id, { status: 'failed', error: m.message })) return;
        this.note('error', `Render failed: ${m.message}`);
        break;
      case 'queue':
        this.queue = m.state;
        this.client?.busy(m.state.running > 0);
        break;
      case 'error':
        this.note('error', m.message);
        break;
      case 'notice':
        this.note('info', m.message);
        break;
    }
  }

  /** What is stored with an image (PNG chunk, ZIP manifest): one schema with the CLI's (card-png.ts). */
  meta(c: Card, frame: Frame | null = c.frame): ImageMeta {
    return cardMeta(this.modelId, c, frame);
  }

  pngOf(c: Card, frame: Frame | null = c.frame): Uint8Array {
    return cardPng(this.modelId, c, frame);
  }
}
