/** The middle value of a few timed runs (the upper middle for an even count): what the benchmarks report. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
