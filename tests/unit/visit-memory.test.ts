import { afterEach, describe, expect, it } from 'vitest';
import { visitMemory } from '../../src/lib/studio/visit-memory.ts';

/** A browser's localStorage, as far as the studio uses it. */
function fakeStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  };
}
const g = globalThis as { localStorage?: unknown };

describe('what the browser remembers between visits', () => {
  afterEach(() => delete g.localStorage);

  it('keeps the backend picked, forgets it when auto is picked again, and ignores what is not a backend', () => {
    const s = fakeStorage();
    g.localStorage = s;
    expect(visitMemory.lastBackend()).toBeNull();
    visitMemory.rememberBackend('wasm');
    expect(visitMemory.lastBackend()).toBe('wasm');
    visitMemory.rememberBackend('auto');
    expect(s.items.size).toBe(0);
    s.setItem('featurescope:backend', 'quantum');
    expect(visitMemory.lastBackend()).toBeNull();
    visitMemory.rememberModel('user:mine');
    expect(visitMemory.lastModel()).toBe('user:mine');
  });

  it('without storage (blocked, or none as here in Node) remembers nothing and throws nothing', () => {
    expect('localStorage' in globalThis).toBe(false);
    expect(() => visitMemory.rememberBackend('webgl')).not.toThrow();
    expect(() => visitMemory.rememberModel('mobilenet_v1_0.25_224')).not.toThrow();
    expect(visitMemory.lastBackend()).toBeNull();
    expect(visitMemory.lastModel()).toBeNull();
  });
});
