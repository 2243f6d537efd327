/**
 * Node: the threaded wasm glue starts as many pthread workers as threads are used, not its fixed 8.
 *
 * tfjs's Node build (`dist/tf-backend-wasm.node.js`) carries the glue inline, and the glue starts 8 pthread workers at
 * every backend start, each loading the glue and the module before the backend is ready: about 0.3 s of a 2-core
 * machine in every process that renders (each CLI run, each test that spawns one), for workers XNNPACK never uses
 * beyond the thread count. This module rewrites the pool's size in that file as Node's CommonJS loader compiles it
 * (`withPthreadPool`, as the studio's build does for its bundle). Importing it installs the rewrite; it must be
 * evaluated before tfjs-backend-wasm is first imported, so node/backend.ts, through which every Node entry reaches
 * tfjs-backend-wasm, imports this first. Should tfjs change the declaration, the file loads unchanged (8 workers,
 * slower, still right) and `node-pthread-pool.test.ts` fails.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { withPthreadPool } from '../engine/pthread-pool.ts';

const require = createRequire(import.meta.url);

interface CjsModule {
  _compile(source: string, filename: string): unknown;
}
type CompileFile = (this: unknown, module: CjsModule, filename: string) => unknown;

const target = require.resolve('@tensorflow/tfjs-backend-wasm');
const extensions = (require('node:module') as { _extensions: Record<string, CompileFile> })._extensions;
const plain = extensions['.js'];
if (!(plain as { featurescopePool?: true }).featurescopePool) {
  const sized: CompileFile = function (module, filename) {
    if (filename !== target) return plain.call(this, module, filename);
    let source = readFileSync(filename, 'utf8');
    try {
      source = withPthreadPool(source);
    } catch {
      /* tfjs changed the declaration: load the file as it is */
    }
    return module._compile(source, filename);
  };
  (sized as { featurescopePool?: true }).featurescopePool = true;
  extensions['.js'] = sized;
}
