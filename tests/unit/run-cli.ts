/**
 * Runs one of the command-line tools (src/cli/<name>.ts) in a child process, as a person's `npm run` would, with its
 * exit status and output. Node starts with tsx's loader registered in it (`node --import tsx`) rather than through
 * the `tsx` binary, which starts a second Node process to do the same: about 0.25 s less per run here, and the
 * tests run a CLI some forty times.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/lib/node/model-cache.ts';

export function runCli(name: 'render' | 'examples' | 'adversarial' | 'invert', args: string[]): SpawnSyncReturns<string> {
  return runTs(join('src/cli', `${name}.ts`), args);
}

/** Any TypeScript file of the repository (a path from its root) run the same way, with extra environment variables. */
export function runTs(file: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, file), ...args], {
    encoding: 'utf8',
    cwd: REPO_ROOT,
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
}
