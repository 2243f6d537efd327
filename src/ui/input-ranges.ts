/** The input ranges the open dialog offers, how a mapping reads, and the rule for a kept model's name. */
import type { InputMapping } from '../lib/protocol.ts';

export const RANGES: { label: string; mapping: InputMapping }[] = [
  { label: '[0, 1]', mapping: { inputRange: [0, 1] } },
  { label: '[-1, 1]', mapping: { inputRange: [-1, 1] } },
  { label: '[0, 255]', mapping: { inputRange: [0, 255] } },
];

export const describeRange = (m: InputMapping) =>
  m.normalize ? `mean/std (${m.normalize.mean.join(', ')} / ${m.normalize.std.join(', ')})` : `[${m.inputRange.join(', ')}]`;

/**
 * Why a name cannot be a kept model's (it names the model in links and in browser storage), or null; `instead` says
 * what to do about a name already taken.
 */
export function keptNameProblem(name: string, taken: string[], instead = ''): string | null {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return 'The name may use letters, digits, _ . and - only.';
  if (taken.includes(name)) return `A model named "${name}" is already kept in this browser${instead}.`;
  return null;
}
