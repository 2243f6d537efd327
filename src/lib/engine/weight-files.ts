/**
 * Reading a package's weight files, several at a time. A converted model lists dozens of small files (MobileNet:
 * 55); read one after another, each waits a full round trip, which was most of a model's load time in the studio.
 * The byte limits still hold per group: no file may be longer than its group declares, nor all of a group's files
 * together.
 */
import type { ReadFile } from './artifacts.ts';
import { ModelLoadError, TooLargeError } from './errors.ts';

/** Files read at once: enough to hide round trips, few enough that a hostile package cannot hold much in flight. */
const AT_ONCE = 6;

/**
 * The bytes of every path of every group, in manifest order: `expected[g]` is what group g declares. A file that
 * cannot be read, or that takes its group past what it declares, fails the whole read with a message naming it.
 */
export async function readWeightFiles(
  readFile: ReadFile,
  dir: string,
  groups: { paths: string[] }[],
  expected: number[],
): Promise<ArrayBuffer[][]> {
  const out = groups.map((g) => new Array<ArrayBuffer>(g.paths.length));
  const read = groups.map(() => 0);
  const queue = groups.flatMap((g, gi) => g.paths.map((p, pi) => ({ gi, pi, p })));
  let failed: ModelLoadError | null = null;
  const one = async ({ gi, pi, p }: (typeof queue)[number]) => {
    const tooLong = (cause: unknown) =>
      new ModelLoadError(`weight file ${p}: longer than the ${expected[gi]} bytes the manifest declares for it`, { cause });
    let bytes: ArrayBuffer;
    try {
      bytes = await readFile(dir + p, expected[gi] - read[gi]);
    } catch (e) {
      if (e instanceof TooLargeError) throw tooLong(e);
      throw new ModelLoadError(`weight file ${p}: cannot be read (${(e as Error).message})`, { cause: e });
    }
    read[gi] += bytes.byteLength;
    if (read[gi] > expected[gi]) throw tooLong(undefined);
    out[gi][pi] = bytes;
  };
  const lane = async () => {
    for (let next = queue.shift(); next && !failed; next = queue.shift()) {
      try {
        await one(next);
      } catch (e) {
        failed ??= e as ModelLoadError;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, queue.length) }, lane));
  if (failed) throw failed;
  return out;
}
