/**
 * The bookkeeping behind the studio's requests for dataset examples and photo URLs — deliberately not reactive: views
 * call it while they render and from effects. Channels asked in one turn of the event loop go out as one message; a
 * channel asked and not answered is not asked again; an export's request waits for its own answer.
 */
import type { ChannelExamples } from '../protocol.ts';

export const examplesKey = (modelKey: string, layer: string, channel: number) => `${modelKey}|${layer}|${channel}`;

export class ExampleRequests {
  /** examplesKey → the number of the request that asked for it. */
  private readonly asked = new Map<string, number>();
  private batch: Map<string, Set<number>> | null = null;
  private readonly waiters = new Map<number, { ok: (r: ChannelExamples[]) => void; fail: (e: Error) => void }>();

  /** Gathers channels not asked yet; `flush` runs once per turn with everything gathered. */
  gather(modelKey: string, layer: string, channels: number[], flush: (wants: Map<string, Set<number>>) => void): void {
    const todo = channels.filter((c) => !this.asked.has(examplesKey(modelKey, layer, c)));
    if (!todo.length) return;
    if (!this.batch) {
      const batch = (this.batch = new Map());
      queueMicrotask(() => {
        this.batch = null;
        flush(batch);
      });
    }
    const set = this.batch.get(layer) ?? new Set<number>();
    todo.forEach((c) => set.add(c));
    this.batch.set(layer, set);
  }

  markAsked(modelKey: string, layer: string, channels: number[], req: number): void {
    for (const c of channels) this.asked.set(examplesKey(modelKey, layer, c), req);
  }

  answered(key: string, req: number): void {
    if (this.asked.get(key) === req) this.asked.delete(key);
  }

  /** A request failed: its channels may be asked again. */
  failed(req: number): void {
    for (const [k, r] of this.asked) if (r === req) this.asked.delete(k);
  }

  wait(req: number): Promise<ChannelExamples[]> {
    return new Promise((ok, fail) => this.waiters.set(req, { ok, fail }));
  }

  /** Settles an export's request; false when no one waits for it. */
  settle(req: number, r: ChannelExamples[] | Error): boolean {
    const w = this.waiters.get(req);
    if (!w) return false;
    this.waiters.delete(req);
    if (r instanceof Error) w.fail(r);
    else w.ok(r);
    return true;
  }

  /** Forget everything in flight (a fresh worker, another photo set). */
  reset(why: string | null): void {
    this.asked.clear();
    if (why === null) return;
    for (const w of this.waiters.values()) w.fail(new Error(why));
    this.waiters.clear();
  }
}

/** Object URLs of photos' originals and thumbnails, made once per photo and revoked when it leaves the set. */
export class PhotoUrls {
  private readonly urls = new Map<string, { full: string; thumb: string }>();

  get(p: { id: string; blob: Blob; thumb: Blob }, which: 'full' | 'thumb'): string {
    let u = this.urls.get(p.id);
    if (!u) this.urls.set(p.id, (u = { full: URL.createObjectURL(p.blob), thumb: URL.createObjectURL(p.thumb) }));
    return u[which];
  }

  keepOnly(ids: string[]): void {
    const keep = new Set(ids);
    for (const [id, u] of this.urls) {
      if (keep.has(id)) continue;
      URL.revokeObjectURL(u.full);
      URL.revokeObjectURL(u.thumb);
      this.urls.delete(id);
    }
  }
}
