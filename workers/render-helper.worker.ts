/**
 * A helper engine (helper-engines.ts): a worker the visualization worker starts, with its own TensorFlow.js on
 * single-threaded wasm and its own copy of the model, that renders one part of a batch (render-helper.ts).
 * Single-threaded on purpose: one engine per core renders a batch faster than one engine on every core (XNNPACK
 * joins its threads after every operation, and the engine's own kernels run on one thread; BENCHMARKS.md).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { shareIdentityOnWasm } from '../src/lib/engine/kernels/shared-identity.ts';
import type { HelperPort } from './helper-protocol.ts';
import { serveHelper } from './render-helper.ts';

// tfjs wants every binary named, though a helper never loads the threaded one (the same file as the worker's).
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

async function start() {
  // In a cross-origin isolated page tfjs would pick its threaded build: one thread is what a helper is for.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start in the helper');
  await tf.ready();
  shareIdentityOnWasm();
}

serveHelper(self as unknown as HelperPort, start());
