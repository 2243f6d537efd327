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
 * The glue of tfjs's threaded build starts a fixed pool of 8 pthread workers at every backend start, whatever the
 * thread count, and the backend waits until each has loaded the glue and the module. The studio's build rewrites that
 * fixed size to read this global first (`withPthreadPool`, applied in vite.config.ts); the worker sets it to its thread
 * count before the backend starts.
 */
export const PTHREAD_POOL_GLOBAL = '__featurescopePthreadPool';

const FIXED_POOL = 'var pthreadPoolSize=8;';

/** The threaded glue's source with its pool sized by `PTHREAD_POOL_GLOBAL` (8 when unset); throws if tfjs changed it. */
export function withPthreadPool(glue: string): string {
  const at = glue.indexOf(FIXED_POOL);
  if (at < 0 || glue.indexOf(FIXED_POOL, at + 1) >= 0) {
    throw new Error(`tfjs's threaded wasm glue no longer declares one "${FIXED_POOL}": revisit withPthreadPool`);
  }
  return glue.replace(FIXED_POOL, `var pthreadPoolSize=globalThis.${PTHREAD_POOL_GLOBAL}||8;`);
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
