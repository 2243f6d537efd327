/** Channel lists as people type them: "3,17,40-47". */
import { EngineError } from './errors.ts';

/** "3,17,40-47" → [3, 17, 40, …, 47], duplicates removed, order kept. */
export function parseChannels(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new EngineError(`channels: "${part}" is not a number or a range like 40-47`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new EngineError(`channels: range ${part} runs backwards`);
    if (b - a > 100000) throw new EngineError(`channels: range ${part} is too long`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  if (!out.length) throw new EngineError('channels: no channel given');
  return [...new Set(out)];
}
