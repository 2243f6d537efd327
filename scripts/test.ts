/**
 * `npm test`: every check of the project. The models are verified first; then the static checks (svelte-check, ESLint,
 * Prettier: about 38 s one after another here) run beside the unit tests rather than before them, since Vitest leaves
 * a quarter of this 2-core machine idle while it waits on the command-line runs it spawns (check + lint + Vitest:
 * 164–178 s in sequence, 145 s side by side; BENCHMARKS.md, session 19); then the build and the end-to-end tests.
 * The static checks' output is printed when they end, so that it does not interleave with Vitest's. A step that fails
 * stops the run, after its partner in the pair has finished, with its exit status.
 */
import { spawn } from 'node:child_process';

interface Step {
  name: string;
  command: string;
  args: string[];
}

const npmRun = (script: string, ...args: string[]): Step => ({
  name: script,
  command: 'npm',
  args: ['run', '-s', script, ...args],
});
const npx = (...args: string[]): Step => ({ name: args.join(' '), command: 'npx', args });

/** Runs steps one after another (stopping at the first failure); `quiet` collects their output instead of showing it. */
async function inOrder(steps: Step[], quiet = false): Promise<{ code: number; output: string }> {
  let output = '';
  for (const step of steps) {
    const code = await new Promise<number>((done) => {
      const child = spawn(step.command, step.args, { stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', (e) => {
        output += `${step.name}: ${e.message}\n`;
        done(1);
      });
      child.on('close', (c, signal) => done(c ?? (signal ? 1 : 0)));
    });
    if (code !== 0) {
      const why = `npm test: ${step.name} failed (exit status ${code})\n`;
      if (!quiet) process.stderr.write(why);
      return { code, output: `${output}\n${why}` };
    }
  }
  return { code: 0, output };
}

const models = await inOrder([npmRun('models', '--', '--quiet')]);
if (models.code) process.exit(models.code);

const [statics, unit] = await Promise.all([inOrder([npmRun('check'), npmRun('lint')], true), inOrder([npx('vitest', 'run')])]);
process.stdout.write(`\n── svelte-check, ESLint, Prettier (run beside Vitest) ──\n${statics.output}`);
if (statics.code || unit.code) process.exit(statics.code || unit.code);

const e2e = await inOrder([npx('vite', 'build'), npx('playwright', 'test')]);
process.exit(e2e.code);
