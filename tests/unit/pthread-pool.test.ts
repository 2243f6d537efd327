// The studio's build sizes the threaded wasm glue's pthread pool to the worker's thread count (vite.config.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { PTHREAD_POOL_GLOBAL, withPthreadPool } from '../../src/lib/engine/pthread-pool.ts';

const require = createRequire(import.meta.url);
const gluePath = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');

/** The pool size the glue's own `initMainThread` code computes, run as the glue would run it. */
function poolSize(glue: string, global: number | undefined): number {
  const decl = glue.match(/var pthreadPoolSize=[^;]*;/)![0];
  const scope = globalThis as Record<string, unknown>;
  const before = scope[PTHREAD_POOL_GLOBAL];
  if (global === undefined) delete scope[PTHREAD_POOL_GLOBAL];
  else scope[PTHREAD_POOL_GLOBAL] = global;
  try {
    return new Function(`${decl} return pthreadPoolSize;`)() as number;
  } finally {
    if (before === undefined) delete scope[PTHREAD_POOL_GLOBAL];
    else scope[PTHREAD_POOL_GLOBAL] = before;
  }
}

describe("the threaded wasm glue's pthread pool", () => {
  const glue = readFileSync(gluePath, 'utf8');

  it('is a fixed 8 in the glue tfjs ships, and the thread count the worker sets once rewritten', () => {
    expect(poolSize(glue, 2)).toBe(8);
    const rewritten = withPthreadPool(glue);
    expect(poolSize(rewritten, 2)).toBe(2);
    expect(poolSize(rewritten, 5)).toBe(5);
    // Nothing else changes: the pool's declaration is the only difference.
    expect(rewritten.length - glue.length).toBe(`globalThis.${PTHREAD_POOL_GLOBAL}||8`.length - 1);
  });

  it("is rewritten the same way inside tfjs's Node build, where the glue is inline and not minified", () => {
    const node = readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm'), 'utf8');
    const decl = (src: string) => src.match(/var pthreadPoolSize ?=[^;]*;/g);
    expect(decl(node)).toEqual(['var pthreadPoolSize = 8;']);
    expect(poolSize(withPthreadPool(node), 3)).toBe(3);
  });

  it('stays 8 where nothing set the thread count (the glue as tfjs wrote it)', () => {
    expect(poolSize(withPthreadPool(glue), undefined)).toBe(8);
  });

  it('fails the build, naming the change, when tfjs no longer declares the fixed pool', () => {
    expect(() => withPthreadPool(glue.replace('var pthreadPoolSize=8;', 'var pthreadPoolSize=4;'))).toThrow(
      /no longer declares one "var pthreadPoolSize=8;"/,
    );
  });
});
