/**
 * The studio's own worker (workers/viz.worker.ts) driven through its protocol, as the studio drives it: start a
 * backend, load a model from a URL, queue `channels` channels of one layer and wait for every job-done. Reports the
 * backend the worker chose and why, and the wall time from queueing to the last finished image.
 */
import { DEFAULT_JOB_SETTINGS, jobKey, PRIORITY, type BackendChoice, type FromWorker, type Job } from '../../src/lib/protocol.ts';
import { report } from './report.ts';

export interface StudioRun {
  choice: BackendChoice;
  modelUrl: string;
  layer: string;
  channels: number;
  size: number;
  steps: number;
  timeoutMs: number;
  allowSoftware: boolean;
}

/** Resolves to the backend the channels were rendered on (null when none were: no start, another backend, software). */
export async function studioRun(run: StudioRun): Promise<string | null> {
  const worker = new Worker(new URL('../../workers/viz.worker.ts', import.meta.url), { type: 'module' });
  const waiters: ((m: FromWorker) => boolean)[] = [];
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    if (m.type === 'error' || m.type === 'notice' || m.type === 'broken' || m.type === 'job-failed')
      report({ phase: 'studio', choice: run.choice, message: m });
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i](m)) waiters.splice(i, 1);
  };
  worker.onerror = (e) => report({ phase: 'studio', choice: run.choice, workerError: e.message });
  const next = <T extends FromWorker['type']>(type: T, ms: number) =>
    new Promise<Extract<FromWorker, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} within ${ms / 1000} s`)), ms);
      waiters.push((m) => {
        if (m.type !== type && !(type === 'model' && m.type === 'model-error')) return false;
        clearTimeout(timer);
        if (m.type === 'model-error') reject(new Error(m.message));
        else resolve(m as Extract<FromWorker, { type: T }>);
        return true;
      });
    });
  const t0 = performance.now();
  try {
    worker.postMessage({ type: 'init', backend: run.choice, probeGpu: true });
    const ready = await next('ready', 60_000);
    report({ phase: 'studio', choice: run.choice, startSeconds: +((performance.now() - t0) / 1000).toFixed(1), ready });
    if (run.choice !== 'auto' && ready.backend !== run.choice) return null;
    if (ready.software && !run.allowSoftware) return null;
    worker.postMessage({
      type: 'load',
      req: 1,
      spec: {
        kind: 'user',
        modelId: 'bench',
        source: { kind: 'url', url: new URL(run.modelUrl, location.href).href },
        mapping: { inputRange: [-1, 1] },
        keepAs: null,
      },
    });
    const model = await next('model', 60_000);
    const settings = { ...DEFAULT_JOB_SETTINGS, size: run.size, steps: run.steps };
    const jobs: Job[] = Array.from({ length: run.channels }, (_, channel) => {
      const j = { modelId: model.key, layer: run.layer, channel, variant: 0, settings };
      return { ...j, id: jobKey(j), priority: PRIORITY.background };
    });
    const done: { seconds: number; backend: string }[] = [];
    // Jobs started before the first one finished: the worker's first batch.
    let firstBatch = 0;
    const finished = new Promise<void>((resolve) => {
      waiters.push((m) => {
        if (m.type === 'job-started' && done.length === 0) firstBatch++;
        if (m.type === 'job-done') done.push({ seconds: m.seconds, backend: m.backend });
        if (m.type === 'job-done' || m.type === 'job-failed') {
          if (done.length === jobs.length) resolve();
        }
        return done.length === jobs.length;
      });
    });
    const t1 = performance.now();
    worker.postMessage({ type: 'enqueue', jobs });
    const timedOut = await Promise.race([
      finished.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), run.timeoutMs)),
    ]);
    const wall = (performance.now() - t1) / 1000;
    report({
      phase: 'studio',
      choice: run.choice,
      backend: ready.backend,
      layer: run.layer,
      size: run.size,
      steps: run.steps,
      channelsAsked: run.channels,
      channelsDone: done.length,
      timedOut,
      wallSeconds: +wall.toFixed(1),
      msPerImageStep: done.length ? +((wall * 1000) / done.length / run.steps).toFixed(2) : null,
      jobBackends: [...new Set(done.map((d) => d.backend))],
      firstBatch,
    });
    return ready.backend;
  } catch (e) {
    report({ phase: 'studio', choice: run.choice, error: (e as Error).message });
    return null;
  } finally {
    worker.terminate();
  }
}
