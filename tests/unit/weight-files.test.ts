import { describe, expect, it } from 'vitest';
import { TooLargeError } from '../../src/lib/engine/errors.ts';
import { readWeightFiles } from '../../src/lib/engine/weight-files.ts';

/** A reader over named byte lengths that answers after `ms`, counting how many reads are in flight at once. */
function slowReader(sizes: Record<string, number>, ms = 20) {
  let open = 0;
  const seen = { most: 0, asked: [] as string[] };
  const read = async (path: string, maxBytes?: number) => {
    seen.asked.push(path);
    open++;
    seen.most = Math.max(seen.most, open);
    await new Promise((ok) => setTimeout(ok, ms));
    open--;
    const n = sizes[path];
    if (n === undefined) throw new Error('404 not found');
    if (maxBytes !== undefined && n > maxBytes) throw new TooLargeError(`${n} bytes, more than ${maxBytes}`);
    return new Uint8Array(n).fill(path.length).buffer;
  };
  return { read, seen };
}

describe("a package's weight files", () => {
  it('are read several at a time and come back in manifest order, grouped', async () => {
    const sizes = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`m/g${i}`, 10 + i]));
    const { read, seen } = slowReader(sizes);
    const groups = Array.from({ length: 20 }, (_, i) => ({ paths: [`g${i}`] }));
    const out = await readWeightFiles(
      read,
      'm/',
      groups,
      groups.map((_, i) => 10 + i),
    );
    expect(out.map((g) => g[0].byteLength)).toEqual(groups.map((_, i) => 10 + i));
    expect(seen.most).toBeGreaterThan(1);
    expect(seen.most).toBeLessThanOrEqual(6);
  });

  it('still holds a group to the bytes it declares when its files are read at once', async () => {
    const { read } = slowReader({ a1: 600, a2: 600 });
    await expect(readWeightFiles(read, '', [{ paths: ['a1', 'a2'] }], [1000])).rejects.toThrow(
      /weight file a[12]: longer than the 1000 bytes the manifest declares for it/,
    );
    const one = slowReader({ b: 1200 });
    await expect(readWeightFiles(one.read, '', [{ paths: ['b'] }], [1000])).rejects.toThrow(
      /weight file b: longer than the 1000 bytes/,
    );
  });

  it('names a file that cannot be read, and stops asking for more', async () => {
    const sizes = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`g${i}`, 4]));
    delete sizes.g0;
    const { read, seen } = slowReader(sizes);
    const groups = Array.from({ length: 30 }, (_, i) => ({ paths: [`g${i}`] }));
    await expect(
      readWeightFiles(
        read,
        '',
        groups,
        groups.map(() => 4),
      ),
    ).rejects.toThrow('weight file g0: cannot be read (404 not found)');
    expect(seen.asked.length).toBeLessThan(30);
  });
});
