/** A worker scheduler on a loaded model, outside any worker: what it posts lands in `log`. */
import type { FeatureModel } from '../../src/lib/engine/model.ts';
import type { FromWorker } from '../../src/lib/protocol.ts';
import { RenderClaims, type Locks } from '../../workers/render-claims.ts';
import { RenderTurn } from '../../workers/render-turn.ts';
import { batchLimit } from '../../workers/batch-size.ts';
import { Scheduler, type SchedulerHost } from '../../workers/scheduler.ts';

export function schedulerOn(
  model: FeatureModel,
  key: string,
  host: {
    backend?: string;
    gpuFailed?: () => Promise<boolean>;
    /** A lock manager shared with other schedulers (tabs): render claims and turns through it. */
    locks?: Locks;
    /** Called after each message is logged. */
    posted?: (msg: FromWorker) => void;
    /** Where batches render (helper-engines.ts); the scheduler's own engine without it. */
    render?: SchedulerHost['render'];
  } = {},
) {
  const log: FromWorker[] = [];
  /** When each message was posted (performance.now()), by its index in `log`. */
  const at: number[] = [];
  const scheduler = new Scheduler(
    {
      post: (msg) => {
        log.push(msg);
        at.push(performance.now());
        host.posted?.(msg);
      },
      model: () => ({ model, key }),
      backend: () => host.backend ?? 'wasm',
      batchLimit: (size) => batchLimit(host.backend ?? 'wasm', false, size),
      gpuLost: () => null,
      gpuFailed: host.gpuFailed ?? (async () => false),
      broken: () => {},
      render: host.render,
    },
    new RenderClaims(host.locks ?? null),
    new RenderTurn(host.locks ?? null),
  );
  /** When the first message of `type` about job `id` was posted. */
  const when = (type: FromWorker['type'], id: string) =>
    at[log.findIndex((m) => m.type === type && (m as { id?: string }).id === id)];
  return { scheduler, log, when };
}
