import { describe, expect, it } from 'vitest';
import { ModelLibrary, sameSource } from '../../src/lib/studio/model-library.svelte.ts';
import type { ToWorker } from '../../src/lib/protocol.ts';

const library = (onScreen = '') => {
  const sent: ToWorker[] = [];
  const deleted: string[] = [];
  const lib = new ModelLibrary({
    send: (m) => sent.push(m),
    currentModelId: () => onScreen,
    reopen: () => {},
    renamed: () => {},
    deletedOnScreen: (name) => deleted.push(name),
  });
  return { lib, sent, deleted };
};
const reply = (req: number, top: string) => ({
  type: 'range-check' as const,
  req,
  checks: [{ inputRange: [0, 1] as [number, number], photos: [{ photo: 'cat', top: [{ label: top, p: 0.5 }] }] }],
  inputShape: [224, 224, 3] as [number, number, number],
  declared: null,
});

describe('deleting a kept model', () => {
  it('tells the studio when the model deleted is the one on screen, and only then', () => {
    const { lib, sent, deleted } = library('user:mine');
    lib.delete('other');
    expect(deleted).toEqual([]);
    lib.delete('mine');
    expect(deleted).toEqual(['mine']);
    expect(sent.map((m) => (m.type === 'delete-model' ? m.name : null))).toEqual(['other', 'mine']);
  });
});

describe("the open dialog's range check", () => {
  it('keeps the model it is about, and takes only the answer to the latest question', () => {
    const { lib, sent } = library();
    const a = { kind: 'url' as const, url: '/models/a/model.json' };
    const b = { kind: 'url' as const, url: '/models/b/model.json' };
    lib.checkRanges(a, [{ inputRange: [0, 1] }]);
    lib.checkRanges(b, [{ inputRange: [0, 1] }]);
    const [first, second] = sent.map((m) => (m.type === 'check-ranges' ? m.req : -1));
    // The worker answers in order: a's table arrives while b's check is running, and is not shown as b's.
    lib.handle(reply(first, 'tabby'));
    expect(lib.rangeCheck.busy).toBe(true);
    expect(lib.rangeCheck.checks).toEqual([]);
    lib.handle(reply(second, 'seashore'));
    expect(lib.rangeCheck.busy).toBe(false);
    expect(sameSource(lib.rangeCheck.source, b)).toBe(true);
    expect(lib.rangeCheck.checks[0].photos[0].top[0].label).toBe('seashore');
    lib.handle({ type: 'range-check-error', req: first, message: 'late failure of a' });
    expect(lib.rangeCheck.error).toBeNull();
  });

  it('tells sources apart: the same URL, the very same files', () => {
    const f = new File(['{}'], 'model.json');
    expect(sameSource({ kind: 'url', url: 'x/model.json' }, { kind: 'url', url: 'x/model.json' })).toBe(true);
    expect(sameSource({ kind: 'url', url: 'x/model.json' }, { kind: 'url', url: 'y/model.json' })).toBe(false);
    expect(sameSource({ kind: 'files', files: [f] }, { kind: 'files', files: [f] })).toBe(true);
    expect(sameSource({ kind: 'files', files: [f] }, { kind: 'files', files: [new File(['{}'], 'model.json')] })).toBe(false);
    expect(sameSource(null, { kind: 'url', url: 'x' })).toBe(false);
  });
});
