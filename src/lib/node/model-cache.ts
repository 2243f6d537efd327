/**
 * The on-disk model cache (models/cache/<id>/): fetching from the upstream URL or copying from a mirror folder,
 * verifying every file's size and sha256.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { REGISTRY, type RegistryEntry, type RegistryFile } from '../models/registry.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CACHE_DIR = join(REPO_ROOT, 'models', 'cache');
/** The read-only mirror next to the repository on the project's machines and in CI. */
const SIBLING_MIRROR = resolve(REPO_ROOT, '..', 'shared', 'models');

export function modelDir(id: string): string {
  return join(CACHE_DIR, id);
}

/** Where models come from: $FEATURESCOPE_MODELS_MIRROR, else ../shared/models when present, else upstream. */
export function modelSource(): { kind: 'mirror'; dir: string } | { kind: 'upstream' } {
  const env = process.env.FEATURESCOPE_MODELS_MIRROR;
  if (env) return { kind: 'mirror', dir: resolve(env) };
  if (existsSync(SIBLING_MIRROR)) return { kind: 'mirror', dir: SIBLING_MIRROR };
  return { kind: 'upstream' };
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

async function isValid(path: string, f: RegistryFile): Promise<boolean> {
  try {
    if ((await stat(path)).size !== f.bytes) return false;
    return (await sha256(path)) === f.sha256;
  } catch {
    return false;
  }
}

/** What to do without internet access (said whenever a model cannot be fetched from upstream). */
export const MIRROR_HINT =
  'without internet access, point FEATURESCOPE_MODELS_MIRROR at a folder laid out as <dir>/<id>/model.json … ' +
  '(for example FEATURESCOPE_MODELS_MIRROR=../shared/models npm run dev)';

export class ModelFetchError extends Error {
  override name = 'ModelFetchError';
}

/**
 * A temporary name for `target` that no other writer uses: the render CLI's engines (node/render-pool.ts), or two
 * commands, may fill one cache at the same moment. Each writes its own file and renames it into place (atomic), so a
 * reader sees no file or a whole one. One shared name let a second copy truncate the first before it was checked.
 */
let partCount = 0;
const partName = (target: string) => `${target}.${process.pid}-${threadId}-${partCount++}.part`;

/** Makes sure every file of the model is in the cache and verified; returns the folder. */
export async function ensureModel(
  entry: RegistryEntry,
  log: (s: string) => void = () => {},
  cacheDir = CACHE_DIR,
): Promise<string> {
  const dir = join(cacheDir, entry.id);
  await mkdir(dir, { recursive: true });
  const source = modelSource();
  for (const f of entry.files) {
    const target = join(dir, f.path);
    if (await isValid(target, f)) continue;
    const tmp = partName(target);
    if (source.kind === 'mirror') {
      const from = join(source.dir, entry.id, f.path);
      if (!existsSync(from)) throw new ModelFetchError(`${entry.id}/${f.path}: missing from the mirror ${source.dir}`);
      await copyFile(from, tmp);
    } else {
      const url = `${entry.upstream}${f.path}${entry.upstreamQuery}`;
      let res: Response;
      try {
        res = await fetch(url);
      } catch (e) {
        throw new ModelFetchError(`${entry.id}/${f.path}: cannot fetch ${url} (${(e as Error).message}); ${MIRROR_HINT}`);
      }
      if (!res.ok) throw new ModelFetchError(`${entry.id}/${f.path}: ${url} answered HTTP ${res.status}; ${MIRROR_HINT}`);
      await writeFile(tmp, new Uint8Array(await res.arrayBuffer()));
    }
    const size = (await stat(tmp)).size;
    if (size !== f.bytes) throw new ModelFetchError(`${entry.id}/${f.path}: ${size} bytes, expected ${f.bytes}`);
    const digest = await sha256(tmp);
    if (digest !== f.sha256)
      throw new ModelFetchError(`${entry.id}/${f.path}: sha256 ${digest} does not match the registry (${f.sha256})`);
    await rename(tmp, target);
    log(`  ${entry.id}/${f.path} (${f.bytes} bytes) ok`);
  }
  // The class names travel with the package, so the folder is complete for a URL or file load too.
  const labels = join(dir, 'labels.json');
  if (!existsSync(labels)) {
    const tmp = partName(labels);
    await copyFile(join(REPO_ROOT, 'models', entry.labels), tmp);
    await rename(tmp, labels);
  }
  return dir;
}

export async function ensureAllModels(log: (s: string) => void = () => {}): Promise<void> {
  for (const entry of REGISTRY) await ensureModel(entry, log);
}
