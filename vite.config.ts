import { createReadStream, existsSync, statSync } from 'node:fs';
import { join, normalize, resolve } from 'node:path';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { withPthreadPool } from './src/lib/engine/pthread-pool.ts';

const MODEL_CACHE = resolve(import.meta.dirname, 'models/cache');
const MODELS_DIR = resolve(import.meta.dirname, 'models');

/** Serves the verified model cache (models/cache, filled by `npm run models`) at /models/ in dev and preview. */
function serveModels(): Plugin {
  const handler: Connect.NextHandleFunction = (req, res, next) => {
    const url = decodeURIComponent((req.url ?? '').split('?')[0]);
    if (!url.startsWith('/models/')) return next();
    const rel = url.slice('/models/'.length);
    // The registry and labels in models/ are source modules: Vite serves those itself.
    if (existsSync(join(MODELS_DIR, rel)) && !rel.startsWith('cache/')) return next();
    const path = normalize(join(MODEL_CACHE, rel));
    if (!path.startsWith(MODEL_CACHE) || !existsSync(path) || !statSync(path).isFile()) {
      res.statusCode = 404;
      res.end(`not found: ${url}`);
      return;
    }
    res.setHeader('Content-Type', path.endsWith('.json') ? 'application/json' : 'application/octet-stream');
    res.setHeader('Content-Length', String(statSync(path).size));
    createReadStream(path).pipe(res);
  };
  return {
    name: 'featurescope-models',
    configureServer: (server) => void server.middlewares.use(handler),
    configurePreviewServer: (server) => void server.middlewares.use(handler),
  };
}

/**
 * tfjs's threaded wasm glue, bundled into the worker, with its pthread pool sized to the threads the worker uses
 * (src/lib/engine/pthread-pool.ts) instead of 8: on 2 cores a fresh page is ready about 0.36 s sooner.
 * Worker bundles take their plugins from `worker.plugins`; in dev, tfjs is pre-bundled and keeps the pool of 8.
 */
function pthreadPoolOfThreads(): Plugin {
  return {
    name: 'featurescope-pthread-pool',
    transform(code, id) {
      // The module itself, not its `?url` import (the file the pthreads load, served as it is).
      if (!id.endsWith('/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js')) return null;
      return { code: withPthreadPool(code), map: null };
    },
  };
}

/**
 * Cross-origin isolation: with these two headers the page gets SharedArrayBuffer, and the worker runs tfjs's
 * threaded wasm build on every core. A static host must send the same two headers with every file (README).
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [svelte(), serveModels()],
  server: { host: '127.0.0.1', port: 5173, headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', port: 4173, headers: ISOLATION_HEADERS },
  worker: { format: 'es', plugins: () => [pthreadPoolOfThreads()] },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['tests/temp-dir.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The test files share one process instead of a fresh one each: TensorFlow.js is imported and its wasm backend
    // started once, not per file (Vitest 197 -> 152 s here; the same in a shuffled file order). What that asks of a
    // test file: pick its backend itself (useBackend) and restore any global it changes.
    isolate: false,
  },
});
