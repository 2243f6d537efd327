/**
 * Spawned by tfjs-load-hook.test.ts: loads tfjs (after tfjs-load-hook.ts when the first argument is `hook`) and prints
 * whether Node holds the source map of tfjs's bundle, and the line an error thrown here reports for this file.
 */
import { createRequire, findSourceMap } from 'node:module';

if (process.argv[2] === 'hook') await import('../../src/lib/node/tfjs-load-hook.ts');
const tf = await import('@tensorflow/tfjs');
const bundle = createRequire(import.meta.url).resolve('@tensorflow/tfjs');
const stack = new Error('where').stack ?? ''; // line 10
const line = Number(/source-maps-probe\.ts:(\d+)/.exec(stack)?.[1] ?? 0);
console.log(
  JSON.stringify({
    loaded: typeof tf.tensor === 'function',
    sourceMaps: process.sourceMapsEnabled,
    tfjsMap: findSourceMap(bundle) !== undefined,
    line,
  }),
);
