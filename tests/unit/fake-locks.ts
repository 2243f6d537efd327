/**
 * An in-memory stand-in for the Web Locks API (navigator.locks, which Node 20 lacks) with the parts the render claims
 * and turns use: exclusive locks, `query` (the names held and waited for), `ifAvailable` (the callback gets null when held), waiting in order with an abort
 * signal, `steal` (the holder's request rejects with an AbortError, the stealer holds at once), and a lock handed
 * straight to the next waiter when its holder's callback settles.
 */
import type { Locks } from '../../workers/render-claims.ts';

interface Holder {
  stolen: (e: Error) => void;
}

export function fakeLocks(): Locks {
  const holders = new Map<string, Holder | 'handing over'>();
  const waiters = new Map<string, (() => void)[]>();
  const handOn = (name: string) => {
    const next = waiters.get(name)?.shift();
    if (next) {
      holders.set(name, 'handing over');
      next();
    } else holders.delete(name);
  };
  async function request(name: string, options: LockOptions, cb: (lock: Lock | null) => unknown): Promise<unknown> {
    const current = holders.get(name);
    if (options.steal) {
      if (current && current !== 'handing over') current.stolen(new DOMException('stolen', 'AbortError'));
    } else if (current) {
      if (options.ifAvailable) return cb(null);
      if (options.signal?.aborted) throw new DOMException('aborted', 'AbortError');
      await new Promise<void>((resolve, reject) => {
        waiters.set(name, [...(waiters.get(name) ?? []), resolve]);
        options.signal?.addEventListener('abort', () => {
          const list = waiters.get(name) ?? [];
          if (!list.includes(resolve)) return;
          waiters.set(
            name,
            list.filter((w) => w !== resolve),
          );
          reject(new DOMException('aborted', 'AbortError'));
        });
      });
    }
    let stolen!: (e: Error) => void;
    const lost = new Promise<never>((_, reject) => (stolen = reject));
    const holder: Holder = { stolen };
    holders.set(name, holder);
    try {
      return await Promise.race([cb({ name, mode: 'exclusive' } as Lock), lost]);
    } finally {
      if (holders.get(name) === holder) handOn(name);
    }
  }
  const query = async () => ({
    held: [...holders.keys()].map((name) => ({ name, mode: 'exclusive' as const })),
    pending: [...waiters].flatMap(([name, list]) => list.map(() => ({ name, mode: 'exclusive' as const }))),
  });
  return { request, query } as unknown as Locks;
}
