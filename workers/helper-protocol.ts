/**
 * The messages between the visualization worker and its helper engines (helper-engines.ts, render-helper.ts). A
 * helper is a whole TensorFlow.js with its own copy of the model, running one part of a batch; it steps in lock-step
 * with the others, one step each time the visualization worker says "go", so pause, cancel and the render turn work
 * as they do for a batch the worker renders itself.
 */
import type { ModelInfo } from '../src/lib/engine/model.ts';
import type { RenderSettings } from '../src/lib/engine/render-settings.ts';
import type { RenderResult, RenderTarget, Snapshot } from '../src/lib/engine/render.ts';

/** The files a model was loaded from (path inside the package → bytes), with what its load was given. */
export interface ModelPackage {
  entry: string;
  files: [string, ArrayBuffer][];
  info: ModelInfo;
}

export type ToHelper =
  /** Load this model (replacing the one before), known from now on by `serial`. */
  | { type: 'load'; serial: number; pkg: ModelPackage }
  /** Render these targets on model `serial` as batch `batch`; each step waits for "go". */
  | {
      type: 'render';
      batch: number;
      serial: number;
      settings: Partial<RenderSettings>;
      targets: RenderTarget[];
      curveEvery: number;
    }
  | { type: 'go'; batch: number }
  /** End batch `batch`'s render at its next step (it answers "cancelled"). */
  | { type: 'stop'; batch: number }
  /** Tests: the helper fails as a crashed worker does. */
  | { type: 'test-crash' };

export type FromHelper =
  { type: 'loaded'; serial: number } | { type: 'load-failed'; serial: number; message: string } | BatchNews;

/** What a helper says about the render of batch `batch`. */
export type BatchNews = { batch: number } & (
  | /** Waiting to run its next step. */
    { type: 'step'; step: number }
  | { type: 'snapshot'; snap: Snapshot }
  | { type: 'done'; cleanValues: number[]; curve: RenderResult['curve'] }
  | { type: 'cancelled' }
  | { type: 'failed'; message: string }
);

/** One end of a helper's channel: a Worker, or a MessagePort in tests. */
export interface HelperPort {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent) => void) | null;
}
