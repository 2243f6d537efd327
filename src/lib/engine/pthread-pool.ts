/**
 * The pthread pool of tfjs's threaded wasm glue. The glue starts a fixed pool of 8 pthread workers at every backend
 * start, whatever the thread count, and the backend waits until each has loaded the glue and the module. The studio's
 * build rewrites that fixed size to read a global first (`withPthreadPool`, applied in vite.config.ts), and so does
 * Node's loader for tfjs's Node build (node/tfjs-load-hook.ts); `useWasmThreads` (wasm-cores.ts) sets it to the
 * thread count before the backend starts. No imports: the Vite config loads this.
 */

/** The global the rewritten glue reads its pool size from (8 when unset). */
export const PTHREAD_POOL_GLOBAL = '__featurescopePthreadPool';

/** The declaration, minified (wasm-out's glue, which the studio bundles) or not (the glue inside tfjs's Node build). */
const FIXED_POOL = /var pthreadPoolSize ?= ?8;/g;

/**
 * The threaded glue's source (or a bundle holding it) with its pool sized by `PTHREAD_POOL_GLOBAL` (8 when unset);
 * throws if tfjs changed it.
 */
export function withPthreadPool(glue: string): string {
  if ((glue.match(FIXED_POOL) ?? []).length !== 1) {
    throw new Error(`tfjs's threaded wasm glue no longer declares one "var pthreadPoolSize=8;": revisit withPthreadPool`);
  }
  return glue.replace(FIXED_POOL, `var pthreadPoolSize=globalThis.${PTHREAD_POOL_GLOBAL}||8;`);
}
