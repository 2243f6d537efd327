/**
 * Run by simd-kernels.test.ts in a child process with FEATURESCOPE_WASM_THREADS=1, which starts tfjs's
 * single-threaded SIMD build (its memory is not shared, and found elsewhere on the module): prints the thread count,
 * whether the SIMD kernels bound, and their output for a few values.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend, wasmThreads } from '../../src/lib/node/backend.ts';
import { heapKernel } from '../../src/lib/engine/kernels/simd/heap-module.ts';
import { clippedReluGradKernel } from '../../src/lib/engine/kernels/clipped-relu-grad.ts';
import { heightFft, heightFftAvailable } from '../../src/lib/engine/kernels/height-fft.ts';

await useBackend(['wasm']);
const x = tf.tensor1d([-1, 0, 0.5, 6, 7, 3, Infinity, 2, 5]);
const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9]);
const bound = heapKernel(tf.backend(), 'clipped-relu-grad') !== null;
// A lone frequency 1 on a 4-row spectrum: the inverse transform walks the unit circle, e^{+iπy/2}.
const spectrum = tf.tensor2d([0, 1, 0, 0, 0, 0, 0, 0], [8, 1]);
const fft = heightFftAvailable(4) ? Array.from(heightFft(spectrum, { h: 4, n: 1, wHalf: 1 }).dataSync(), Math.round) : null;
const values = Array.from(clippedReluGradKernel(x, dy, 6)!.dataSync());
console.log(JSON.stringify({ threads: wasmThreads(), bound, values, fft }));
