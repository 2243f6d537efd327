/**
 * Multi-threaded wasm in Node.
 *
 * tfjs-backend-wasm ships a threaded SIMD build, but in Node it never picks it: its feature flag answers "no threads"
 * for Node, and were it forced, the Emscripten glue would start its pthread workers from `blob:` URLs (the worker
 * script and the main script), which Node's `worker_threads.Worker` cannot load. This module makes that build run:
 *  - the flag `WASM_HAS_MULTITHREAD_SUPPORT` is set to true before the backend initializes;
 *  - the glue assigns `global.Worker = worker_threads.Worker` while it starts; a setter on `global.Worker` swaps in a
 *    subclass that starts a worker from a `blob:` URL as evaluated code (the same worker source tfjs would have put in
 *    the blob), and replaces the main-script Blob of the worker's first message by the path of the glue file that tfjs
 *    bundled, which the worker reads with its own `importScripts`.
 * The worker count is the core count unless `FEATURESCOPE_WASM_THREADS` says otherwise (1 keeps the single-threaded
 * build).
 */
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { pointPthreadAtGlue, useWasmThreads } from '../engine/wasm-cores.ts';

const require = createRequire(import.meta.url);

/** Threads wasm should use here: FEATURESCOPE_WASM_THREADS, else the number of cores. */
export function wasmThreadsWanted(): number {
  const env = Number(process.env.FEATURESCOPE_WASM_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  return Math.max(1, cpus().length);
}

let installed = false;
let pthreadWorkers = 0;

/** How many pthread workers the wasm glue has started in this process (0 when single-threaded). */
export function pthreadWorkersStarted(): number {
  return pthreadWorkers;
}

/**
 * Prepares the threaded wasm build for Node; call before `tf.setBackend('wasm')`. Returns the threads asked for:
 * `threads` when given (a render thread of node/render-pool.ts runs on one), else wasmThreadsWanted().
 */
export function enableWasmThreads(threads = wasmThreadsWanted()): number {
  if (threads <= 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    return 1;
  }
  if (!installed) {
    installed = true;
    const gluePath = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
    const { wasmWorkerContents } =
      require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as {
        wasmWorkerContents: string;
      };
    // The template literal turned the source's "\n" escapes into newlines; put them back (as tfjs does for its blob).
    const workerSource = wasmWorkerContents.replace(/\n/g, '\\n');
    class BlobFreeWorker extends NodeWorker {
      constructor(url: string | URL, options?: WorkerOptions) {
        const blob = typeof url === 'string' && url.startsWith('blob:');
        super(blob ? workerSource : url, blob ? { ...options, eval: true } : options);
        pthreadWorkers++;
        this.unref();
      }
      /** The glue refs a worker while it runs a pthread; XNNPACK's pool threads live forever, so the process could
       * never exit. Pool threads only ever work while the main thread waits for them: they need no ref of their own. */
      override ref(): void {}
      override postMessage(message: unknown, transfer?: readonly unknown[]): void {
        pointPthreadAtGlue(message, gluePath);
        super.postMessage(message, transfer as never);
      }
    }
    const g = globalThis as { Worker?: unknown };
    Object.defineProperty(g, 'Worker', {
      configurable: true,
      get: () => BlobFreeWorker,
      // The glue assigns worker_threads.Worker; keep the subclass.
      set: () => {},
    });
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  useWasmThreads(threads);
  return threads;
}
