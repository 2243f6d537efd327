/**
 * The names nearest a mistyped one (an unknown layer in the CLI or a link), by edit distance: "conv_pw_7_nb" suggests
 * conv_pw_7_bn first, rather than whichever names happen to contain it or be contained in it.
 */

/** Levenshtein distance: insertions, deletions and substitutions, each 1. */
export function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/**
 * Up to `count` of `names` close to `wanted` (case aside), nearest first; none when nothing is close — a third of the
 * longer name's characters or fewer to change, at least 2.
 */
export function nearestNames(wanted: string, names: readonly string[], count = 6): string[] {
  const w = wanted.toLowerCase();
  return names
    .map((name) => ({ name, d: editDistance(w, name.toLowerCase()) }))
    .filter(({ name, d }) => d <= Math.max(2, Math.floor(Math.max(name.length, w.length) / 3)))
    .sort((x, y) => x.d - y.d)
    .slice(0, count)
    .map(({ name }) => name);
}
