/**
 * Backend choice for Node (CLI, tests, bench): wasm by default (multi-threaded, see node/wasm-threads.ts), cpu as the
 * fallback. The browser worker makes its own choice (WebGL on a real GPU, wasm otherwise).
 */
// First: tfjs's Node bundles load with a pthread pool of the threads used and without source maps (tfjs-load-hook.ts).
import './tfjs-load-hook.ts';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { enableWasmThreads } from './wasm-threads.ts';
import { shareIdentityOnWasm } from '../engine/kernels/shared-identity.ts';

export type BackendName = 'wasm' | 'cpu' | 'webgl';

/**
 * Starts the first of `preferred` that works. `wasmThreads` fixes wasm's thread count (default: the cores, or
 * FEATURESCOPE_WASM_THREADS); it counts only for the process's first wasm start.
 */
export async function useBackend(preferred: BackendName[] = ['wasm', 'cpu'], wasmThreads?: number): Promise<BackendName> {
  for (const name of preferred) {
    try {
      if (name === 'wasm' && tf.findBackend('wasm') == null) enableWasmThreads(wasmThreads);
      if (await tf.setBackend(name)) {
        await tf.ready();
        if (name === 'wasm') shareIdentityOnWasm();
        return name;
      }
    } catch {
      /* try the next one */
    }
  }
  throw new Error(`none of the backends ${preferred.join(', ')} could be initialised`);
}

/** Threads the wasm backend runs on (1 before it started or when single-threaded). */
export function wasmThreads(): number {
  return tf.findBackend('wasm') ? Math.max(1, getThreadsCount()) : 1;
}
