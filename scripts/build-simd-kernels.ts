/**
 * `npm run build:simd`: compiles the hand-written SIMD kernels (src/lib/engine/kernels/simd/*.wat) into
 * src/lib/engine/kernels/simd/binaries.ts, which the engine imports (the browser and Node need no WebAssembly
 * toolchain at run time). Each kernel comes in two variants, because an imported memory must match the tfjs
 * module's own exactly: `shared` for the threaded build's SharedArrayBuffer memory, `unshared` for the single-threaded
 * SIMD build. A unit test compiles the sources again and compares them with the committed file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSimdKernels } from './simd-compile.ts';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../src/lib/engine/kernels/simd');
const out = path.join(dir, 'binaries.ts');
fs.writeFileSync(out, await compileSimdKernels(dir));
console.log(`wrote ${path.relative(process.cwd(), out)}`);
