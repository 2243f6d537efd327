/**
 * Threaded wasm in the browser worker.
 *
 * tfjs starts each pthread worker with the source of its bundled glue factory (`factory.toString()` in a Blob). After
 * minification that function refers to names of the surrounding bundle, so every pthread dies with "e is not
 * defined" and the backend never starts. The pthreads are created through the global `Worker`; a subclass rewrites
 * their first message so that they load the package's own unminified glue file, served as a static asset, instead.
 * Threads are only possible when the page is cross-origin isolated (COOP/COEP headers, vite.config.ts).
 */
import threadedGlue from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js?url';
import { pointPthreadAtGlue, useWasmThreads } from '../src/lib/engine/wasm-cores.ts';

let installed = false;

function installGlueRedirect() {
  if (installed) return;
  installed = true;
  const glueUrl = new URL(threadedGlue, self.location.href).href;
  const scope = self as unknown as { Worker: typeof Worker };
  const Native = scope.Worker;
  scope.Worker = class PthreadWorker extends Native {
    override postMessage(message: unknown, transfer?: Transferable[] | StructuredSerializeOptions): void {
      pointPthreadAtGlue(message, glueUrl);
      super.postMessage(message, transfer as Transferable[]);
    }
  };
}

/**
 * Threads for the wasm backend: every core (at most 8, tfjs's pool limit) when the page is cross-origin isolated,
 * else one, and why.
 */
export function prepareWasmThreads(): { threads: number; why: string | null } {
  const isolated = (self as unknown as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!isolated || typeof SharedArrayBuffer === 'undefined') {
    return { threads: 1, why: 'one thread: the page is not cross-origin isolated (COOP/COEP headers missing)' };
  }
  installGlueRedirect();
  const threads = Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1));
  useWasmThreads(threads);
  return { threads, why: null };
}
