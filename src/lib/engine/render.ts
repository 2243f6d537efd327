/**
 * The optimization loop: param → transforms → model (cut at the target) → objective → gradient w.r.t. the param →
 * Adam step; at thresholds a snapshot (RGBA bytes and objective per image) goes to the caller.
 */
import * as tf from '@tensorflow/tfjs';
import type { FeatureModel } from './model.ts';
import { EngineError } from './network.ts';
import * as obj from './objectives.ts';
import { Adam } from './adam.ts';
import { createParam, type ParamKind } from './param.ts';
import {
  applySampling,
  drawTransform,
  transformsForSize,
  mixSeed,
  rng,
  samplingMap,
  type TransformOptions,
} from './transforms.ts';

export interface RenderSettings {
  layer: string;
  objective: obj.ObjectiveKind;
  size: number;
  steps: number;
  seed: number;
  param: ParamKind;
  lr: number;
  /** Learning rate at the last step; the rate moves linearly from `lr` to it (null: constant `lr`). */
  lrEnd: number | null;
  /** Exponent of the Fourier 1/f scaling. */
  decayPower: number;
  decorrelate: boolean;
  transforms: boolean;
  /** Steps at the start during which ReLU gradients are redirected (Lucid: 16). 0 turns it off. */
  redirectSteps: number;
  /** Weight of the diversity term (used when several variants of one target share a batch). */
  diversity: number;
  /** Regularizer weights (0 = off); Lucid's notebook uses L1 0.05, TV 0.25, blur 1.0. */
  l1: number;
  tv: number;
  blur: number;
  /** Steps after which a snapshot is emitted; the last step always emits one. */
  thresholds: number[];
}

export const DEFAULT_SETTINGS: RenderSettings = {
  layer: 'conv_pw_6_bn',
  objective: 'channel',
  size: 128,
  steps: 512,
  seed: 0,
  param: 'fourier',
  lr: 0.05,
  lrEnd: null,
  decayPower: 1,
  decorrelate: true,
  transforms: true,
  redirectSteps: 16,
  diversity: 0,
  l1: 0,
  tv: 0,
  blur: 0,
  thresholds: [16, 32, 64, 128, 256, 512],
};

export interface RenderTarget {
  /** Channel (channel / neuron objectives) or class output index (logit); ignored for the layer objective. */
  index: number;
  /** Distinguishes several renders of the same target in one batch (diversity variants). */
  variant?: number;
}

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

/** More steps than this is a typo or a hostile link, not a render. */
export const MAX_STEPS = 100_000;

export class RenderCancelled extends Error {
  constructor() {
    super('render cancelled');
    this.name = 'RenderCancelled';
  }
}

const yieldToEventLoop = () =>
  new Promise<void>((resolve) => {
    const g = globalThis as { setImmediate?: (f: () => void) => void };
    if (g.setImmediate) g.setImmediate(resolve);
    else setTimeout(resolve, 0);
  });

/** The objective for these settings and targets, including regularizers and diversity. */
export function buildObjective(model: FeatureModel, s: RenderSettings, targets: RenderTarget[]): obj.Objective {
  const info = s.objective === 'logit' ? model.logitsLayer : model.layer(s.layer);
  if (!info) throw new EngineError(`model ${model.info.id} has no class-score layer for the logit objective`);
  const idx = targets.map((t) => t.index);
  const range = info.shape[2];
  if (s.objective !== 'layer') {
    for (const i of idx) {
      if (!Number.isInteger(i) || i < 0 || i >= range) {
        throw new EngineError(
          `${s.objective === 'logit' ? 'class' : 'channel'} ${i} is out of range for layer ${info.name} (valid: 0-${range - 1})`,
        );
      }
    }
  }
  switch (s.objective) {
    case 'channel':
      return obj.channel(info.name, idx);
    case 'neuron':
      return obj.neuron(info.name, idx);
    case 'layer':
      return obj.layerDream(info.name, targets.length);
    case 'logit':
      return obj.logit(info.name, idx);
  }
}

function regularizers(s: RenderSettings, layer: string): obj.Objective[] {
  const r: obj.Objective[] = [];
  if (s.l1) r.push(obj.scale(obj.l1(0.5), -s.l1));
  if (s.tv) r.push(obj.scale(obj.totalVariation(), -s.tv));
  if (s.blur) r.push(obj.scale(obj.blur(), -s.blur));
  if (s.diversity) r.push(obj.scale(obj.diversity(layer), s.diversity));
  return r;
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

/** RGBA bytes (a snapshot, or a decoded PNG) back to a [1, h, w, 3] image in [0,1]. */
export function imageFromRgba(rgba: Uint8Array, width: number, height: number): tf.Tensor4D {
  return tf.tidy(() => {
    const t = tf.tensor3d(rgba, [height, width, 4], 'int32').slice([0, 0, 0], [height, width, 3]);
    return tf.div(tf.cast(t, 'float32'), 255).expandDims(0) as tf.Tensor4D;
  });
}

function splitRgba(all: Uint8Array, b: number, h: number, w: number): Uint8Array[] {
  const n = h * w * 4;
  return Array.from({ length: b }, (_, i) => all.slice(i * n, (i + 1) * n));
}

/**
 * Renders one batch: target i is optimized in batch slot i with its own seed, so a target gives the same image
 * alone or in a batch (up to floating-point summation order).
 */
export async function render(
  model: FeatureModel,
  settings: Partial<RenderSettings>,
  targets: RenderTarget[],
  options: RenderOptions = {},
): Promise<RenderResult> {
  const s: RenderSettings = { ...DEFAULT_SETTINGS, ...settings };
  if (!targets.length) throw new EngineError('nothing to render: no targets');
  if (!(s.size >= 8 && s.size <= 1024)) throw new EngineError(`size ${s.size} is out of range (8-1024)`);
  if (!Number.isInteger(s.steps) || s.steps < 1 || s.steps > MAX_STEPS)
    throw new EngineError(`steps must be a whole number from 1 to ${MAX_STEPS} (got ${s.steps})`);
  const objective = buildObjective(model, s, targets);
  const layer = objective.layers[0];
  const full = obj.sum(objective, ...regularizers(s, layer));
  const b = targets.length;
  const seeds = targets.map((t) => mixSeed(s.seed, t.index, t.variant ?? 0));
  const rands = seeds.map((sd) => rng(mixSeed(sd, 0x7a11)));
  const param = createParam({
    kind: s.param,
    height: s.size,
    width: s.size,
    seeds,
    decayPower: s.decayPower,
    decorrelate: s.decorrelate,
    planes: model.inputShape[2] === 1 ? 1 : 3,
  });
  let optimizer: Adam | null = null;
  // From here on everything is released in the finally block, whatever throws.
  try {
    const tOpts: TransformOptions = {
      ...transformsForSize(s.size),
      outputSize:
        // Class scores are judged at the network's own input size; some networks run at no other size at all.
        s.objective === 'logit' || model.fixedInputSize
          ? [model.inputShape[0], model.inputShape[1]]
          : // The centre neuron must be the same unit in the transformed and in the clean image: same size, same grid.
            s.objective === 'neuron'
            ? [s.size, s.size]
            : null,
    };
    optimizer = new Adam(param.variable, { lr: s.lr, lrEnd: s.lrEnd, steps: s.steps });
    const adam = optimizer;
    const thresholds = new Set([...s.thresholds.filter((t) => t <= s.steps), s.steps]);
    const curve: RenderResult['curve'] = [];
    const started = Date.now();
    let last: Snapshot | null = null;

    const scoreOf = (value: tf.Tensor, redirect: boolean) => {
      const image = param.toImage(value);
      let input = image;
      if (s.transforms) {
        const map = samplingMap(
          s.size,
          s.size,
          rands.map((r) => drawTransform(r, tOpts)),
          tOpts,
        );
        input = applySampling(image, map);
      }
      const acts = model.forward(input, full.layers, redirect);
      const perItem = full.score({ acts, image });
      const main = full === objective ? perItem : objective.score({ acts, image });
      return { total: tf.sum(perItem) as tf.Scalar, main };
    };

    for (let step = 1; step <= s.steps; step++) {
      if (options.gate) await options.gate();
      if (options.signal?.aborted) throw new RenderCancelled();
      const redirect = step <= s.redirectSteps;
      const snap = thresholds.has(step);
      const record = snap || (options.curveEvery ? step % options.curveEvery === 0 : false);
      let main: tf.Tensor | null = null;
      tf.tidy(() => {
        const grad = tf.grad((p: tf.Tensor) => {
          const r = scoreOf(p, redirect);
          // Per-item values escape the gradient scope only when this step records them.
          if (record) main = tf.keep(r.main);
          return r.total;
        })(param.variable);
        adam.ascend(param.variable, grad, step);
      });
      if (main) {
        // Synchronous reads on purpose: on a lost WebGL context an asynchronous read never settles (the worker would
        // hang), where a synchronous one returns zeros and the next step's context check reports the loss.
        const values = Array.from((main as tf.Tensor).dataSync());
        (main as tf.Tensor).dispose();
        curve.push({ step, values });
        if (snap) {
          const img = tf.tidy(() => param.toImage(param.variable));
          const [, h, w] = img.shape;
          last = { step, images: splitRgba(rgba(img.dataSync(), b, h, w), b, h, w), values, width: w, height: h };
          img.dispose();
          options.onSnapshot?.(last);
        }
      }
      if (step % 4 === 0 || snap) await yieldToEventLoop();
    }
    const cleanValues = tf.tidy(() => {
      const image = param.toImage(param.variable);
      const acts = model.forward(image, objective.layers, false);
      return Array.from(objective.score({ acts, image }).dataSync());
    });
    return { final: last!, cleanValues, curve, seconds: (Date.now() - started) / 1000 };
  } finally {
    param.dispose();
    optimizer?.dispose();
  }
}

/** Evaluates an objective kind on given images [b, h, w, 3] in [0,1] (no transforms): one value per image. */
export function evaluate(
  model: FeatureModel,
  images: tf.Tensor4D,
  kind: obj.ObjectiveKind,
  layer: string,
  targets: number[],
): number[] {
  return tf.tidy(() => {
    const o = buildObjective(
      model,
      { ...DEFAULT_SETTINGS, objective: kind, layer },
      targets.map((index) => ({ index })),
    );
    const acts = model.forward(images, o.layers, false);
    return Array.from(o.score({ acts, image: images }).dataSync());
  });
}
