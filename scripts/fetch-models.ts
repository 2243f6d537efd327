/**
 * `npm run models`: puts every registry model into models/cache/ and verifies it. (The CLI and benchmarks need not run
 * it first: loading a registry model does the same for that model.)
 * FEATURESCOPE_MODELS_MIRROR=<dir> copies from <dir>/<id>/… instead of fetching the upstream URLs.
 */
import { REGISTRY } from '../src/lib/models/registry.ts';
import { ensureModel, modelSource } from '../src/lib/node/model-cache.ts';

const quiet = process.argv.includes('--quiet');
const source = modelSource();
if (!quiet)
  console.error(source.kind === 'mirror' ? `models: copying from mirror ${source.dir}` : 'models: fetching from upstream');
try {
  for (const entry of REGISTRY) {
    await ensureModel(entry, quiet ? () => {} : (s) => console.error(s));
    if (!quiet) console.error(`${entry.id}: ok (${entry.files.length} files verified)`);
  }
} catch (e) {
  console.error(`models: ${(e as Error).message}`);
  process.exit(1);
}
