// A dropped folder is read completely (issue 9, item 12): its reader hands entries over 100 at a time.
import { describe, expect, it } from 'vitest';
import { filesFromEntries, type EntryLike } from '../../src/ui/dropped-files.ts';

const fileEntry = (name: string): EntryLike => ({
  isFile: true,
  isDirectory: false,
  name,
  file: (ok) => ok(new File(['x'], name)),
});
function folder(name: string, children: EntryLike[]): EntryLike {
  return {
    isFile: false,
    isDirectory: true,
    name,
    createReader: () => {
      let at = 0;
      return {
        readEntries: (ok) => {
          const batch = children.slice(at, at + 100);
          at += batch.length;
          ok(batch);
        },
      };
    },
  };
}

describe('dropped folders', () => {
  it('reads all 250 files of a folder and of a folder inside it, not only the first 100', async () => {
    const shards = Array.from({ length: 240 }, (_, i) => fileEntry(`group${i + 1}-shard1of1`));
    const inner = folder('extra', [fileEntry('labels.json'), ...Array.from({ length: 9 }, (_, i) => fileEntry(`note${i}.txt`))]);
    const files = await filesFromEntries([folder('model', [fileEntry('model.json'), ...shards, inner])]);
    expect(files).toHaveLength(251);
    expect(files.map((f) => f.name)).toContain('group240-shard1of1');
    expect(files.map((f) => f.name)).toContain('labels.json');
  });
});
