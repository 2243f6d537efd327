/**
 * The optimization loop, with its parts passed in as Lucid's render_vis takes them: a parameterization (param.ts),
 * a transform, an objective (objectives.ts, composed in objective-builder.ts), an optimizer (adam.ts) and a model.
 * Each step: param → image → transform → model → loss → gradient w.r.t. the param → optimizer; at thresholds a
 * snapshot (RGBA bytes and objective per image) goes to the caller. The caller owns the parts and disposes them.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeFailedGradientTape } from './failed-gradient.ts';
import { SliceCache } from './slice-cache.ts';
import { readBack } from './read-back.ts';
import type { Adam } from './adam.ts';
import type { FeatureModel } from './model.ts';
import type { Objective } from './objectives.ts';
import type { ImageParam } from './param.ts';

export interface Snapshot {
  step: number;
  /** One RGBA image per target, size × size × 4. */
  images: Uint8Array[];
  /** Objective of each target on this step's (transformed) image. */
  values: number[];
  width: number;
  height: number;
}

export interface RenderResult {
  final: Snapshot;
  /** Objective of each target evaluated on the final image at its own size, without transforms. */
  cleanValues: number[];
  /** Mean objective per recorded step, for curves: [step, value per target]. */
  curve: { step: number; values: number[] }[];
  seconds: number;
}

export interface RenderOptions {
  onSnapshot?: (s: Snapshot) => void;
  signal?: AbortSignal;
  /** Record the objective every this many steps for the curve (a read-back; 0 = only at snapshots). */
  curveEvery?: number;
  /** Awaited before every step: a paused caller returns a promise that resolves on resume. */
  gate?: () => Promise<void> | void;
}

export class RenderCancelled extends Error {
  constructor() {
    super('render cancelled');
    this.name = 'RenderCancelled';
  }
}

/**
 * Lets the messages that came in during a step run (cancel, a click that preempts, pause, a lost context), at once:
 * Node's setImmediate, else a MessageChannel round trip — setTimeout(0) would be held to 4 ms once nested.
 */
const yieldToEventLoop = (() => {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (g.setImmediate) return () => new Promise<void>((resolve) => g.setImmediate!(resolve));
  if (typeof MessageChannel === 'undefined') return () => new Promise<void>((resolve) => setTimeout(resolve, 0));
  const channel = new MessageChannel();
  const waiting: (() => void)[] = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      channel.port2.postMessage(null);
    });
})();

/** Steps are let go of every 4, and sooner when they are slow (a large layer, a software GPU): a cancel waits ≤ this. */
const YIELD_AFTER_MS = 40;

export interface RenderParts {
  model: FeatureModel;
  /** What is maximized and reported, one value per image. */
  objective: Objective;
  /** What the gradient follows: the objective plus regularizers and diversity (the objective alone when absent). */
  loss?: Objective;
  param: ImageParam;
  optimizer: Adam;
  /** Random augmentation of the image before the network, drawn anew every step; null for none. */
  transform: ((image: tf.Tensor4D) => tf.Tensor4D) | null;
  steps: number;
  /** Steps at the start during which ReLU gradients are redirected (Lucid: 16). */
  redirectSteps: number;
  /** Steps after which a snapshot is emitted; the last step always emits one. */
  thresholds: number[];
}

/** RGB in [0,1], [b·h·w·3] → RGBA bytes. */
function rgba(data: ArrayLike<number>, b: number, h: number, w: number): Uint8Array {
  const out = new Uint8Array(b * h * w * 4);
  for (let p = 0; p < b * h * w; p++) {
    out[p * 4] = Math.round(Math.min(1, Math.max(0, data[p * 3])) * 255);
    out[p * 4 + 1] = Math.round(Math.min(1, Math.max(0, data[p * 3 + 1])) * 255);
    out[p * 4 + 2] = Math.round(Math.min(1, Math.max(0, data[p * 3 + 2])) * 255);
    out[p * 4 + 3] = 255;
  }
  return out;
}

function splitRgba(all: Uint8Array, b: number, h: number, w: number): Uint8Array[] {
  const n = h * w * 4;
  return Array.from({ length: b }, (_, i) => all.slice(i * n, (i + 1) * n));
}

/** Runs the loop; resolves with the final snapshot, the clean objective values and the curve. */
export async function renderVis(parts: RenderParts, options: RenderOptions = {}): Promise<RenderResult> {
  // The weights sliced to the objective's channels, made on the first step and let go when the render ends.
  const cache = new SliceCache();
  try {
    return await optimize(parts, options, cache);
  } finally {
    cache.dispose();
  }
}

async function optimize(parts: RenderParts, options: RenderOptions, cache: SliceCache): Promise<RenderResult> {
  const { model, objective, param, optimizer, transform, steps } = parts;
  const full = parts.loss ?? objective;
  const scoreOf = (value: tf.Tensor, redirect: boolean) => {
    const image = param.toImage(value);
    const input = transform ? transform(image) : image;
    // Only the channels the loss reads of its layers, where the network can (partial-channels.ts).
    const { acts, subsets } = model.forwardSome(input, full.layers, redirect, full.channels, cache);
    const perItem = full.score({ acts, image, subsets });
    const main = full === objective ? perItem : objective.score({ acts, image, subsets });
    return { total: tf.sum(perItem) as tf.Scalar, main };
  };
  const thresholds = new Set([...parts.thresholds.filter((t) => t <= steps), steps]);
  const curve: RenderResult['curve'] = [];
  const started = Date.now();
  let last: Snapshot | null = null;
  let yielded = performance.now();

  for (let step = 1; step <= steps; step++) {
    if (options.gate) await options.gate();
    if (options.signal?.aborted) throw new RenderCancelled();
    const redirect = step <= parts.redirectSteps;
    const snap = thresholds.has(step);
    const record = snap || (options.curveEvery ? step % options.curveEvery === 0 : false);
    let main: tf.Tensor | null = null;
    try {
      tf.tidy(() => {
        const grad = tf.grad((p: tf.Tensor) => {
          const r = scoreOf(p, redirect);
          // Per-item values escape the gradient scope only when this step records them.
          if (record) main = tf.keep(r.main);
          return r.total;
        })(param.variable);
        optimizer.ascend(param.variable, grad, step);
      });
    } catch (e) {
      // A step that threw leaves nothing behind: its kept values, and the tape of its gradient.
      (main as tf.Tensor | null)?.dispose();
      disposeFailedGradientTape();
      throw e;
    }
    if (main) {
      const values = Array.from(await readBack(main as tf.Tensor));
      (main as tf.Tensor).dispose();
      curve.push({ step, values });
      if (snap) {
        const img = tf.tidy(() => param.toImage(param.variable));
        const [b, h, w] = img.shape;
        last = { step, images: splitRgba(rgba(await readBack(img), b, h, w), b, h, w), values, width: w, height: h };
        img.dispose();
        options.onSnapshot?.(last);
      }
    }
    if (step % 4 === 0 || snap || performance.now() - yielded >= YIELD_AFTER_MS) {
      await yieldToEventLoop();
      yielded = performance.now();
    }
  }
  const clean = tf.tidy(() => {
    const image = param.toImage(param.variable);
    const { acts, subsets } = model.forwardSome(image, objective.layers, false, objective.channels, cache);
    return objective.score({ acts, image, subsets });
  });
  const cleanValues = Array.from(await readBack(clean));
  clean.dispose();
  return { final: last!, cleanValues, curve, seconds: (Date.now() - started) / 1000 };
}
