/**
 * The worker's job queue: priority order (then submission order), de-duplication by job id, and batching of jobs
 * that can be optimized together (same model, layer and settings), a group's variants always in one batch, and a
 * person's renders (click priority) never in one batch with the gallery's.
 */
import { groupKey, PRIORITY, type Job } from './protocol.ts';

const settingsKey = (j: Job) => JSON.stringify([j.modelId, j.layer, j.settings]);

/**
 * Takes up to `max` jobs from the front of `list` (one optimization's jobs, most urgent first), whole groups only: a
 * variant rendered without the rest of its group would be another image than its key says. A group that does not fit
 * waits for the next batch; one larger than a batch (never asked for: variants ≤ MAX_BATCH) is cut.
 */
function takeGroups<T extends Job>(list: T[], max: number): T[] {
  const groups = new Map<string, T[]>();
  for (const j of list) {
    const g = groups.get(groupKey(j));
    if (g) g.push(j);
    else groups.set(groupKey(j), [j]);
  }
  const batch: T[] = [];
  for (const g of groups.values()) if (batch.length + g.length <= max) batch.push(...g);
  if (!batch.length) batch.push(...list.slice(0, max));
  return batch;
}

/** The most images one batch may hold: a number, or one that depends on the render size (a GPU's memory). */
export type BatchLimit = number | ((size: number) => number);

export class JobQueue {
  private jobs: (Job & { seq: number })[] = [];
  private seq = 0;

  get size(): number {
    return this.jobs.length;
  }

  /** Adds jobs; a job already queued keeps its place but takes the higher of the two priorities. */
  add(jobs: Job[]): void {
    for (const j of jobs) {
      const existing = this.jobs.find((q) => q.id === j.id);
      if (existing) existing.priority = Math.max(existing.priority, j.priority);
      else this.jobs.push({ ...j, seq: this.seq++ });
    }
  }

  /** Sets the priority of queued jobs (up when a card is clicked or scrolled into view, down when it leaves). */
  prioritize(ids: string[], priority: number): void {
    for (const j of this.jobs) if (ids.includes(j.id)) j.priority = priority;
  }

  /** Removes jobs (all when ids is 'all'); returns the removed ids. */
  remove(ids: string[] | 'all'): string[] {
    const gone = ids === 'all' ? this.jobs : this.jobs.filter((j) => ids.includes(j.id));
    this.jobs = ids === 'all' ? [] : this.jobs.filter((j) => !ids.includes(j.id));
    return gone.map((j) => j.id);
  }

  has(id: string): boolean {
    return this.jobs.some((j) => j.id === id);
  }

  /** The highest priority among queued jobs (for `modelId` when given); -Infinity when none. */
  topPriority(modelId?: string): number {
    let top = -Infinity;
    for (const j of this.jobs) if ((modelId === undefined || j.modelId === modelId) && j.priority > top) top = j.priority;
    return top;
  }

  /**
   * The batches `takeBatch` would take, in the order it would take them (for `modelId` when given), if nothing were
   * added or reprioritized meanwhile: the most urgent job and up to maxBatch−1 others that share its optimization
   * (maxBatch at the head job's size), then the most urgent of the rest, and so on.
   */
  plan(maxBatch: BatchLimit, modelId?: string): Job[][] {
    const order = this.jobs
      .filter((j) => modelId === undefined || j.modelId === modelId)
      .sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    const byKey = new Map<string, (Job & { seq: number })[]>();
    for (const j of order) {
      const list = byKey.get(settingsKey(j));
      if (list) list.push(j);
      else byKey.set(settingsKey(j), [j]);
    }
    const taken = new Set<string>();
    const batches: Job[][] = [];
    for (const head of order) {
      if (taken.has(head.id)) continue;
      // What a person asked for is batched with what they asked for only: the gallery's own renders in the same batch
      // would make them wait for images nobody is looking at (BENCHMARKS.md, session 25).
      const urgent = head.priority >= PRIORITY.clicked;
      const pool = byKey.get(settingsKey(head))!.filter((j) => !taken.has(j.id) && (!urgent || j.priority >= PRIORITY.clicked));
      const batch = takeGroups(pool, typeof maxBatch === 'number' ? maxBatch : maxBatch(head.settings.size));
      for (const j of batch) taken.add(j.id);
      batches.push(batch.map(({ seq: _seq, ...j }) => j));
    }
    return batches;
  }

  /**
   * Takes the most urgent job and up to maxBatch−1 others that can share its optimization; with `modelId`, only jobs
   * for that model (jobs for a model still loading stay queued).
   */
  takeBatch(maxBatch: BatchLimit, modelId?: string): Job[] {
    const batch = this.plan(maxBatch, modelId)[0] ?? [];
    const ids = new Set(batch.map((j) => j.id));
    this.jobs = this.jobs.filter((j) => !ids.has(j.id));
    return batch;
  }
}
