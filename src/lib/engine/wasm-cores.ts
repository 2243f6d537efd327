/**
 * Running tfjs's threaded wasm build on a given number of threads, the parts shared by Node and the browser worker.
 *
 * That build sizes its XNNPACK thread pool as min(asked, 8, logical cores / 2): it assumes two hardware threads per
 * core, so on a 2-core machine (navigator.hardwareConcurrency or os.cpus() = 2) the pool has one thread however many
 * are asked for, and the threaded build runs single-threaded. The core count reaches the module through one wasm
 * import, `env.emscripten_num_logical_cores`; this wraps WebAssembly's instantiate functions so that import answers
 * twice the number of threads wanted, and tfjs's `setThreadsCount(threads)` then gets them all. Works the same in Node
 * and in a browser worker (no DOM).
 *
 * Each environment starts the pthread workers its own way (node/wasm-threads.ts, workers/wasm-threads.ts), but both
 * point the workers' first message at the unbundled glue file (`pointPthreadAtGlue`).
 */
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { PTHREAD_POOL_GLOBAL } from './pthread-pool.ts';

type Imports = WebAssembly.Imports;

let threadsWanted = 1;
let installed = false;

function patchImports(imports: Imports | undefined): void {
  const env = imports?.env as Record<string, unknown> | undefined;
  if (env && typeof env.emscripten_num_logical_cores === 'function') {
    env.emscripten_num_logical_cores = () => threadsWanted * 2;
  }
}

/** Makes the next wasm backend initialization start a pool of `threads` threads. */
export function useWasmThreads(threads: number): void {
  threadsWanted = Math.max(1, Math.floor(threads));
  setThreadsCount(threadsWanted);
  // And one pthread worker per thread where the glue reads its pool size (the studio's build: pthread-pool.ts).
  (globalThis as Record<string, unknown>)[PTHREAD_POOL_GLOBAL] = threadsWanted;
  if (installed) return;
  installed = true;
  const wa = WebAssembly as unknown as {
    instantiate: (src: unknown, imports?: Imports) => Promise<unknown>;
    instantiateStreaming?: (src: unknown, imports?: Imports) => Promise<unknown>;
  };
  const instantiate = wa.instantiate.bind(WebAssembly);
  wa.instantiate = (src, imports) => {
    patchImports(imports);
    return instantiate(src, imports);
  };
  if (wa.instantiateStreaming) {
    const streaming = wa.instantiateStreaming.bind(WebAssembly);
    wa.instantiateStreaming = (src, imports) => {
      patchImports(imports);
      return streaming(src, imports);
    };
  }
}

/**
 * A pthread worker's first message ("load") carries the glue script to run, as a Blob of the bundled factory's source.
 * That source cannot run on its own (Node cannot load a Blob; minified, it refers to names of the surrounding bundle),
 * so the message names the package's glue file instead: a path in Node, a URL in the browser.
 */
export function pointPthreadAtGlue(message: unknown, glue: string): void {
  const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
  if (m && m.cmd === 'load' && typeof m.urlOrBlob !== 'string') m.urlOrBlob = glue;
}
