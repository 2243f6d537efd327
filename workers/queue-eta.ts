/**
 * The queue's clock: ms per image-step measured per layer and size, the start-up each batch adds, and from them the
 * time left for the whole queue and per layer. A layer not measured yet is estimated from the measured ones by depth
 * (step-cost.ts), so an ETA knows deep layers cost more.
 */
import type { FeatureModel } from '../src/lib/engine/model.ts';
import type { Job } from '../src/lib/protocol.ts';
import { estimateStepMs } from '../src/lib/step-cost.ts';

interface Measured {
  layer: string;
  size: number;
  ms: number;
  steady: boolean;
}

export class QueueEta {
  /**
   * Measured ms per image-step per layer and size (the latest batch's; a batch of 4 costs about twice a batch of 2).
   * `steady`: from snapshots after a batch's first, whose interval also holds the batch's start-up (such a figure is
   * kept only until a steady one comes).
   */
  private readonly byLayer = new Map<string, Measured>();
  /**
   * A batch's time beyond its steps (building the parameterization and the network's slices, the first step's
   * warm-up, the final clean pass): a moving average over finished batches, added to each queued batch's ETA.
   */
  private batchOverheadMs = 0;

  /** A snapshot's ms per image-step for `layer` at `size`. */
  measured(layer: string, size: number, ms: number, steady: boolean) {
    const key = JSON.stringify([layer, size]);
    if (steady || !this.byLayer.has(key)) this.byLayer.set(key, { layer, size, ms, steady });
  }

  /** A finished batch's time beyond its steps (BatchTiming), folded into the moving average. */
  learnOverhead(extra: number | null) {
    if (extra === null) return;
    this.batchOverheadMs = this.batchOverheadMs ? 0.7 * this.batchOverheadMs + 0.3 * extra : extra;
  }

  /**
   * ms per image-step for a layer at a size, for one look at the queue: measured, else estimated from the measured layers
   * (step-cost.ts), each scaled to that size by the image's area. Depths and the measured points are worked out once
   * per look, not once per queued batch. Once any steady figure exists, figures that hold a batch's start-up are left
   * out: one new layer's first interval (slices built, kernels warmed) would tilt the estimate for every deeper one.
   */
  private costs(model: FeatureModel): (layer: string, size: number) => number | null {
    const depth = new Map(model.layers.map((l) => [l.name, l.depth]));
    const maxDepth = Math.max(0, ...depth.values());
    const all = [...this.byLayer.values()];
    const anySteady = all.some((m) => m.steady);
    const usable = (m: { steady: boolean }) => m.steady || !anySteady;
    const measured = all.filter(usable).map((m) => ({ ...m, depth: depth.get(m.layer) ?? 0 }));
    return (layer, size) => {
      const hit = this.byLayer.get(JSON.stringify([layer, size]));
      if (hit !== undefined && usable(hit)) return hit.ms;
      const points = measured.map((m) => ({ depth: m.depth, ms: m.ms * ((size * size) / (m.size * m.size)) }));
      return estimateStepMs(points, depth.get(layer) ?? 0, maxDepth);
    };
  }

  /**
   * Time left: for the whole queue, and per layer until its last render is done — the started batches first (the
   * running one, then those waiting for it; their image-steps left), then the queued batches in the order they will
   * run (JobQueue.plan), each at its layer's cost per image-step times its images, plus a batch's start-up and final
   * pass. A band queued behind others waits for them:
   * its figure is when it will be done, not how long its own renders take.
   */
  eta(
    model: FeatureModel,
    started: { layer: string; size: number; imageSteps: number }[],
    plan: Job[][],
  ): { etaMs: number | null; etaByLayer: Record<string, number> } {
    const byLayer: Record<string, number> = {};
    if (!this.byLayer.size) return { etaMs: null, etaByLayer: byLayer };
    const msFor = this.costs(model);
    let clock = 0;
    const run = (layer: string, ms: number | null, imageSteps: number, extra = 0) => {
      if (ms === null) return;
      clock += extra + ms * imageSteps;
      byLayer[layer] = clock;
    };
    for (const r of started) run(r.layer, msFor(r.layer, r.size), r.imageSteps);
    for (const batch of plan) {
      const head = batch[0];
      run(head.layer, msFor(head.layer, head.settings.size), head.settings.steps * batch.length, this.batchOverheadMs);
    }
    return { etaMs: clock, etaByLayer: byLayer };
  }
}
