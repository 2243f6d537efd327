/**
 * Node: two changes to TensorFlow.js's Node bundles as Node's CommonJS loader compiles them. Importing this module
 * installs them; it must be evaluated before tfjs is first imported, so node/backend.ts imports it first, and so do
 * the command-line entries (their engine is imported later, once the arguments are read).
 *
 * - **The threaded wasm glue starts as many pthread workers as threads are used, not its fixed 8.** The glue, inline
 *   in `dist/tf-backend-wasm.node.js`, started 8 workers at every backend start, each loading the glue and the module
 *   before the backend was ready: about 0.3 s of a 2-core machine in every process that renders, for workers XNNPACK
 *   never uses beyond the thread count. `withPthreadPool` rewrites the pool's size, as the studio's build does for its
 *   bundle. Should tfjs change the declaration, the file loads unchanged (8 workers, slower, still right) and
 *   `tfjs-load-hook.test.ts` fails.
 * - **No source maps for the bundles.** They point at about 17 MB of maps, and with source maps on (tsx turns them on)
 *   Node read and indexed every one as its bundle loaded: 0.4–0.7 s of every command-line run here, before any work
 *   (`tfjs-load-hook.test.ts` checks both). Stack traces through tfjs show its bundles' own lines; ours stay mapped.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import { withPthreadPool } from '../engine/pthread-pool.ts';

const require = createRequire(import.meta.url);

interface CjsModule {
  _compile(source: string, filename: string): unknown;
}
type CompileFile = (this: unknown, module: CjsModule, filename: string) => unknown;

const wasmBundle = require.resolve('@tensorflow/tfjs-backend-wasm');
/** The folder that holds every @tensorflow package (with a separator at the end). */
const tfjsPackages = dirname(dirname(dirname(wasmBundle))) + sep;

/** `source` without its trailing `//# sourceMappingURL=` comment, if it has one. */
function withoutSourceMap(source: string): string {
  const at = source.lastIndexOf('//# sourceMappingURL=');
  return at >= 0 && /^\/\/# sourceMappingURL=\S*\s*$/.test(source.slice(at)) ? source.slice(0, at) : source;
}

const extensions = (require('node:module') as { _extensions: Record<string, CompileFile> })._extensions;
const plain = extensions['.js'];
if (!(plain as { featurescopeTfjs?: true }).featurescopeTfjs) {
  const changed: CompileFile = function (module, filename) {
    if (!filename.startsWith(tfjsPackages)) return plain.call(this, module, filename);
    let source = withoutSourceMap(readFileSync(filename, 'utf8'));
    if (filename === wasmBundle) {
      try {
        source = withPthreadPool(source);
      } catch {
        /* tfjs changed the declaration: load the file as it is */
      }
    }
    return module._compile(source, filename);
  };
  (changed as { featurescopeTfjs?: true }).featurescopeTfjs = true;
  extensions['.js'] = changed;
}
