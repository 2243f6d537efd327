/**
 * How many threads tfjs's threaded wasm build may use.
 *
 * That build sizes its XNNPACK thread pool as min(asked, 8, logical cores / 2): it assumes two hardware threads per
 * core, so on a 2-core machine (navigator.hardwareConcurrency or os.cpus() = 2) the pool has one thread however many
 * are asked for, and the threaded build runs single-threaded. The core count reaches the module through one wasm
 * import, `env.emscripten_num_logical_cores`; this wraps WebAssembly's instantiate functions so that import answers
 * twice the number of threads wanted, and `setThreadsCount(threads)` then gets them all. Works the same in Node and in
 * a browser worker (no DOM).
 */
type Imports = WebAssembly.Imports;

let threadsWanted = 1;
let installed = false;

function patchImports(imports: Imports | undefined): void {
  const env = imports?.env as Record<string, unknown> | undefined;
  if (env && typeof env.emscripten_num_logical_cores === 'function') {
    env.emscripten_num_logical_cores = () => threadsWanted * 2;
  }
}

/** Makes the next wasm backend initialization see enough cores for `threads` pool threads. */
export function allowWasmThreads(threads: number): void {
  threadsWanted = Math.max(1, Math.floor(threads));
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
