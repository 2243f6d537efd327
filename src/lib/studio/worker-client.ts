/**
 * The connection to the visualization worker: starts it, restarts it when it dies, replaces it when the backend
 * changes, and replaces it when it stops answering (a control message — cancel, pause, a backend change — must take
 * effect within seconds, whatever the backend is busy with). While a render runs it is also asked every few seconds
 * whether it still answers (`busy`): a worker stuck in a call (a GPU driver that never returns) is replaced even when
 * nobody presses cancel — it would otherwise hold this tab's queue, and the browser's render turn that other tabs wait
 * for (workers/render-turn.ts), for good. Restarts that make no progress in between are capped.
 */
import type { BackendChoice, FromWorker, GpuProbes, ToWorker } from '../protocol.ts';

/** The part of a Worker this client uses (a fake in unit tests). */
export interface WorkerLike {
  postMessage(m: unknown): void;
  terminate(): void;
  onmessage: ((ev: MessageEvent<FromWorker>) => void) | null;
  onerror: ((ev: ErrorEvent) => void) | null;
}

/** Why a fresh worker took over. */
export type Replacement = 'crash' | 'broken' | 'unresponsive' | 'backend';

export interface ClientEvents {
  message(m: FromWorker): void;
  /** A fresh worker runs (already told its backend); the caller sends it the model and the unfinished jobs. */
  replaced(why: Replacement, reason: string): void;
  /** The worker failed again and again without doing anything in between: no more restarts. */
  gaveUp(reason: string): void;
}

export interface ClientOptions {
  /** How long a control message may go unanswered before the worker is replaced. */
  answerMs?: number;
  /** How long the first 'ready' may take (a GPU probe that hangs). */
  startMs?: number;
  /** Restarts in a row without progress before giving up. */
  maxRestarts?: number;
  /** While a render runs: how often the worker is asked whether it still answers. */
  pingEveryMs?: number;
  /** While a render runs: how long that question may go unanswered (a step may legitimately take seconds). */
  stuckMs?: number;
  timers?: { set(f: () => void, ms: number): unknown; clear(t: unknown): void };
}

export class WorkerClient {
  private worker: WorkerLike | null = null;
  private watchdog: unknown = null;
  /** The next question to a busy worker (see `busy`). */
  private pinger: unknown = null;
  private readonly pingEveryMs: number;
  private readonly stuckMs: number;
  private restartsWithoutProgress = 0;
  private readonly answerMs: number;
  private readonly startMs: number;
  private readonly maxRestarts: number;
  private readonly timers: NonNullable<ClientOptions['timers']>;
  /** False after a GPU probe hung: the next worker starts on wasm without touching the GPU. */
  private probeGpu = true;
  /** What the last worker's GPU probe saw; a worker started for a backend switch gets it instead of probing again. */
  private gpus: GpuProbes | null = null;
  stopped = false;

  constructor(
    private readonly create: () => WorkerLike,
    private readonly events: ClientEvents,
    public backend: BackendChoice,
    options: ClientOptions = {},
  ) {
    this.answerMs = options.answerMs ?? 8000;
    this.startMs = options.startMs ?? 30_000;
    this.maxRestarts = options.maxRestarts ?? 3;
    this.pingEveryMs = options.pingEveryMs ?? 10_000;
    this.stuckMs = options.stuckMs ?? 30_000;
    this.timers = options.timers ?? { set: (f, ms) => setTimeout(f, ms), clear: (t) => clearTimeout(t as number) };
  }

  /** Starts a worker; `gpus`: what an earlier one's GPU probe saw, passed on instead of probing again (null: probe). */
  start(gpus: GpuProbes | null = null) {
    this.stopped = false;
    const w = this.create();
    w.onmessage = (ev) => {
      if (w !== this.worker) return;
      this.disarm();
      if (ev.data.type === 'ready') this.gpus = ev.data.gpus;
      this.events.message(ev.data);
    };
    w.onerror = (ev) => {
      ev.preventDefault?.();
      if (w === this.worker) this.replace('crash', ev.message || 'the worker stopped');
    };
    this.worker = w;
    this.send({ type: 'init', backend: this.backend, probeGpu: this.probeGpu, gpus });
    this.arm(this.startMs, 'it did not start');
  }

  send(m: ToWorker) {
    this.worker?.postMessage(m);
  }

  /** Sends a message that the worker answers at once; a worker that does not is replaced. */
  control(m: ToWorker) {
    this.send(m);
    if (this.worker && this.watchdog === null)
      this.arm(this.answerMs, `it did not answer "${m.type}" within ${this.answerMs / 1000} s`);
  }

  /** Whether a render runs in the worker (the queue's figures): while one does, it is asked now and then to answer. */
  busy(running: boolean) {
    if (running && this.pinger === null) this.pinger = this.timers.set(() => this.ping(), this.pingEveryMs);
    else if (!running && this.pinger !== null) {
      this.timers.clear(this.pinger);
      this.pinger = null;
    }
  }

  private ping() {
    this.pinger = this.timers.set(() => this.ping(), this.pingEveryMs);
    // Any message answers (each disarms the watchdog); one already armed (a start, a cancel) keeps its own limit.
    if (!this.worker || this.watchdog !== null) return;
    this.send({ type: 'ping' });
    this.arm(this.stuckMs, `it did not answer for ${this.stuckMs / 1000} s while rendering`);
  }

  /** Work got done (a snapshot, a loaded model): later failures are not a loop. */
  progressed() {
    this.restartsWithoutProgress = 0;
  }

  /** Replaces the worker with one on another backend; the switch takes effect at once, busy or not. */
  setBackend(choice: BackendChoice) {
    this.backend = choice;
    this.probeGpu = true;
    this.restartsWithoutProgress = 0;
    this.replace('backend', `backend changed to ${choice}`);
  }

  /** Ends the worker and starts another unless restarts keep failing. */
  replace(why: Replacement, reason: string) {
    this.disarm();
    this.worker?.terminate();
    this.worker = null;
    if (why !== 'backend' && ++this.restartsWithoutProgress > this.maxRestarts) {
      this.stopped = true;
      this.busy(false);
      this.events.gaveUp(reason);
      return;
    }
    // After a backend switch the GPU is as the last probe saw it; after a crash, a hang or a failure it is asked again.
    this.start(why === 'backend' ? this.gpus : null);
    this.events.replaced(why, reason);
  }

  private arm(ms: number, what: string) {
    this.disarm();
    this.watchdog = this.timers.set(() => {
      this.watchdog = null;
      // A worker stuck before its first answer is most likely stuck in the GPU probe: the next one skips it.
      if (what === 'it did not start') this.probeGpu = false;
      this.replace('unresponsive', what);
    }, ms);
  }

  private disarm() {
    if (this.watchdog !== null) this.timers.clear(this.watchdog);
    this.watchdog = null;
  }

  terminate() {
    this.busy(false);
    this.disarm();
    this.worker?.terminate();
    this.worker = null;
    this.stopped = true;
  }
}
