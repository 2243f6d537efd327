// Builds the browser timing page (bench/gpu-page) into .gpu/site, for a machine without Node.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: resolve(import.meta.dirname),
  base: './',
  worker: { format: 'es' },
  build: { outDir: resolve(import.meta.dirname, '../../.gpu/site'), emptyOutDir: true },
});
