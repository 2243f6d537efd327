/**
 * Backend choice for Node (CLI, tests, bench): wasm by default, cpu as the fallback.
 * The browser worker makes its own choice (WebGL on a real GPU, wasm otherwise).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'wasm' | 'cpu' | 'webgl';

export async function useBackend(preferred: BackendName[] = ['wasm', 'cpu']): Promise<BackendName> {
  for (const name of preferred) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      /* try the next one */
    }
  }
  throw new Error(`none of the backends ${preferred.join(', ')} could be initialised`);
}
