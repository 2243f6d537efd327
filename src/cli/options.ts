/** Option parsing and error reporting shared by the command-line tools. */
import type { BackendName } from '../lib/node/backend.ts';
import { UsageError } from '../lib/node/usage-error.ts';
import { DEFAULT_MODEL_ID } from '../lib/models/registry.ts';

/** The options every command that works on one layer's channels takes (parseArgs declarations). */
export const LAYER_OPTIONS = {
  model: { type: 'string', default: DEFAULT_MODEL_ID },
  layer: { type: 'string' },
  channels: { type: 'string' },
  out: { type: 'string' },
  batch: { type: 'string' },
  'input-range': { type: 'string' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The options every command that works on one photo takes (parseArgs declarations). */
export const PHOTO_OPTIONS = {
  model: { type: 'string', default: DEFAULT_MODEL_ID },
  photo: { type: 'string' },
  out: { type: 'string' },
  'input-range': { type: 'string' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** --photo and --out of a photo command, both required. */
export function photoAndOut(values: { photo?: string; out?: string }): { photo: string; out: string } {
  if (!values.photo) throw new UsageError('--photo <image> is required');
  if (!values.out) throw new UsageError('--out <dir> is required');
  return { photo: values.photo, out: values.out };
}

/** --backend wasm|cpu as the preference list `useBackend` takes, or undefined (its default) when not given. */
export function backendOption(v: string | undefined): BackendName[] | undefined {
  return v === undefined ? undefined : [oneOf('backend', v, ['wasm', 'cpu'] as const, 'wasm')];
}

export function intOption(name: string, v: string | undefined, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name}: "${v}" is not an integer in ${min}-${max}`);
  return n;
}

export function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!allowed.includes(v as T)) throw new UsageError(`--${name}: "${v}" is not one of ${allowed.join(', ')}`);
  return v as T;
}

/** --input-range min,max, or undefined when not given. */
export function inputRangeOption(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map(Number);
  if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p)) || parts[0] >= parts[1])
    throw new UsageError(`--input-range: "${v}" is not min,max (e.g. -1,1 or 0,255)`);
  return [parts[0], parts[1]];
}

/** Lets values that start with a minus sign follow their option ("--input-range -1,1"). */
export function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (/^--(input-range|mean|epsilon)$/.test(argv[i]) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

/** Prints a one-line error and exits with status 2 (the stack only with FEATURESCOPE_DEBUG, for unexpected errors). */
export function failCli(e: unknown): never {
  const err = e as Error;
  const known =
    ['UsageError', 'EngineError', 'ModelLoadError', 'ModelFetchError', 'TypeError'].includes(err.name) ||
    err instanceof UsageError;
  const msg = (err.message || String(e)).split('\n')[0];
  process.stderr.write(`featurescope: error: ${msg}\n`);
  if (!known && process.env.FEATURESCOPE_DEBUG) process.stderr.write(`${err.stack}\n`);
  process.exit(2);
}
