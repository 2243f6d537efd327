/**
 * An in-memory stand-in for the Web Locks API (navigator.locks, which Node 20 lacks) with the parts the render claims
 * use: exclusive locks, `ifAvailable` (the callback gets null when held), waiting with an abort signal, and a lock
 * handed straight to the next waiter when its holder's callback settles.
 */
import type { Locks } from '../../workers/render-claims.ts';

export function fakeLocks(): Locks {
  const held = new Set<string>();
  const waiters = new Map<string, (() => void)[]>();
  async function request(name: string, options: LockOptions, cb: (lock: Lock | null) => unknown): Promise<unknown> {
    if (held.has(name)) {
      if (options.ifAvailable) return cb(null);
      await new Promise<void>((resolve, reject) => {
        const list = waiters.get(name) ?? [];
        waiters.set(name, [...list, resolve]);
        options.signal?.addEventListener('abort', () => {
          waiters.set(
            name,
            (waiters.get(name) ?? []).filter((w) => w !== resolve),
          );
          reject(new DOMException('aborted', 'AbortError'));
        });
      });
    } else held.add(name);
    try {
      return await cb({ name, mode: 'exclusive' } as Lock);
    } finally {
      const next = waiters.get(name)?.shift();
      if (next) next();
      else held.delete(name);
    }
  }
  return { request } as unknown as Locks;
}
