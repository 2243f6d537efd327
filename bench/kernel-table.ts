import type * as tf from '@tensorflow/tfjs';

export interface KernelRow {
  name: string;
  msPerStep: number;
  callsPerStep: number;
}

/** A tf.profile of `steps` optimization steps as kernel rows per step, the most expensive first. */
export function kernelTable(info: Awaited<ReturnType<typeof tf.profile>>, steps: number): KernelRow[] {
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += Number(k.kernelTimeMs) || 0;
    e.calls += 1;
    byKernel.set(k.name, e);
  }
  return [...byKernel.entries()]
    .map(([name, e]) => ({ name, msPerStep: e.ms / steps, callsPerStep: e.calls / steps }))
    .sort((a, b) => b.msPerStep - a.msPerStep);
}
