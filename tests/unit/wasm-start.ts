// Run by tfjs-load-hook.test.ts in a fresh process (`node --import tsx`): starts the wasm backend on
// FEATURESCOPE_WASM_THREADS threads, runs a conv on them, and prints what it started as one JSON line.
import * as tf from '@tensorflow/tfjs';
import { useBackend, wasmThreads } from '../../src/lib/node/backend.ts';
import { pthreadWorkersStarted } from '../../src/lib/node/wasm-threads.ts';

await useBackend(['wasm']);
// A conv big enough for XNNPACK to hand work to its pool's threads.
const y = tf.conv2d(tf.ones([1, 64, 64, 16]) as tf.Tensor4D, tf.ones([3, 3, 16, 16]) as tf.Tensor4D, 1, 'same');
const sum = (await tf.sum(y).data())[0];
console.log(JSON.stringify({ threads: wasmThreads(), workers: pthreadWorkersStarted(), sum }));
