/**
 * Run by simd-kernels.test.ts in a child process with FEATURESCOPE_WASM_THREADS=1, which starts tfjs's
 * single-threaded SIMD build (its memory is not shared, and found elsewhere on the module): prints the thread count,
 * whether the SIMD kernel bound, and its output for a few values.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend, wasmThreads } from '../../src/lib/node/backend.ts';
import { heapKernel } from '../../src/lib/engine/kernels/simd/heap-module.ts';
import { clippedReluGradKernel } from '../../src/lib/engine/kernels/clipped-relu-grad.ts';

await useBackend(['wasm']);
const x = tf.tensor1d([-1, 0, 0.5, 6, 7, 3, Infinity, 2, 5]);
const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9]);
const bound = heapKernel(tf.backend(), 'clipped-relu-grad') !== null;
console.log(JSON.stringify({ threads: wasmThreads(), bound, values: Array.from(clippedReluGradKernel(x, dy, 6)!.dataSync()) }));
