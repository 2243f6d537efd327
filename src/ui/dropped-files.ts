/**
 * The files of a drop, folders included and read completely: a folder's reader hands its entries over in pieces
 * (Chromium: 100 at a time) until it returns an empty list.
 */

/** The part of a FileSystemEntry this reads (fakes in unit tests). */
export interface EntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  file?(ok: (f: File) => void, fail: (e: unknown) => void): void;
  createReader?(): { readEntries(ok: (entries: EntryLike[]) => void, fail: (e: unknown) => void): void };
}

export async function filesFromEntries(entries: EntryLike[]): Promise<File[]> {
  const out: File[] = [];
  const walk = async (entry: EntryLike): Promise<void> => {
    if (entry.isFile && entry.file) out.push(await new Promise<File>((ok, fail) => entry.file!(ok, fail)));
    else if (entry.isDirectory && entry.createReader) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise<EntryLike[]>((ok, fail) => reader.readEntries(ok, fail));
        if (!batch.length) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const e of entries) await walk(e);
  return out;
}
