/** A worker scheduler on a loaded model, outside any worker: what it posts lands in `log`. */
import type { FeatureModel } from '../../src/lib/engine/model.ts';
import type { FromWorker } from '../../src/lib/protocol.ts';
import { Scheduler } from '../../workers/scheduler.ts';

export function schedulerOn(
  model: FeatureModel,
  key: string,
  host: { backend?: string; gpuFailed?: () => Promise<boolean> } = {},
) {
  const log: FromWorker[] = [];
  const scheduler = new Scheduler({
    post: (msg) => log.push(msg),
    model: () => ({ model, key }),
    backend: () => host.backend ?? 'wasm',
    gpuLost: () => null,
    gpuFailed: host.gpuFailed ?? (async () => false),
    broken: () => {},
  });
  return { scheduler, log };
}
