/**
 * What the end-to-end tests do to the worker that a person cannot (exposed on the page only with `?hooks`): crash it
 * or one of its helper engines, lose its WebGL context, block it as a stuck GPU call would, and read its live tensor count.
 */
import type { FromWorker, ToWorker } from '../protocol.ts';

export class WorkerTestHooks {
  private memoryWaiters: ((n: number) => void)[] = [];

  constructor(private readonly send: (m: ToWorker) => void) {}

  /** Makes the worker fail as a crash would. */
  crashWorker() {
    this.send({ type: 'test-crash' });
  }

  /** Makes one of the worker's helper engines fail as a crash would (while a batch runs on them). */
  crashHelper() {
    this.send({ type: 'test-crash-helper' });
  }

  /** Loses the worker's WebGL context (when it runs WebGL). */
  loseWebglContext() {
    this.send({ type: 'test-lose-context' });
  }

  /** Blocks the worker for `ms`. */
  hangWorker(ms: number) {
    this.send({ type: 'test-hang', ms });
  }

  /** The worker's live tensor count, once the work queued before the question is done. */
  workerTensors(): Promise<number> {
    return new Promise((ok) => {
      this.memoryWaiters.push(ok);
      this.send({ type: 'test-memory' });
    });
  }

  /** Takes the answer to `workerTensors`; false for any other message. */
  handle(m: FromWorker): boolean {
    if (m.type !== 'test-memory') return false;
    this.memoryWaiters.shift()?.(m.numTensors);
    return true;
  }
}
