/**
 * Rendering from settings: builds the parts the loop takes (render-vis.ts) — the objective with its regularizers
 * (objective-builder.ts), a seeded parameterization per image (param.ts), the random transforms (transforms.ts) and
 * Adam (adam.ts) — runs it, and releases them whatever happens.
 */
import * as tf from '@tensorflow/tfjs';
import type { FeatureModel } from './model.ts';
import { EngineError } from './network.ts';
import * as obj from './objectives.ts';
import { Adam } from './adam.ts';
import { buildObjective, regularizers, targetGroups, type Target } from './objective-builder.ts';
import { renderVis, type RenderOptions, type RenderResult } from './render-vis.ts';
import { createParam } from './param.ts';
import {
  applySampling,
  drawTransform,
  transformsForSize,
  mixSeed,
  rng,
  samplingMap,
  type TransformOptions,
} from './transforms.ts';

import { DEFAULT_SETTINGS, type RenderSettings } from './render-settings.ts';

export { buildObjective } from './objective-builder.ts';
export { RenderCancelled, type RenderOptions, type RenderResult, type Snapshot } from './render-vis.ts';

/** What one batch item maximizes: a channel (or class), or a mix of channels, or a unit at a position. */
export type RenderTarget = Target;

/** More steps than this is a typo or a hostile link, not a render. */
export const MAX_STEPS = 100_000;

/** RGBA bytes (a snapshot, or a decoded PNG) back to a [1, h, w, 3] image in [0,1]. */
export function imageFromRgba(rgba: Uint8Array, width: number, height: number): tf.Tensor4D {
  return tf.tidy(() => {
    const t = tf.tensor3d(rgba, [height, width, 4], 'int32').slice([0, 0, 0], [height, width, 3]);
    return tf.div(tf.cast(t, 'float32'), 255).expandDims(0) as tf.Tensor4D;
  });
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
  const full = obj.sum(objective, ...regularizers(s, layer, targetGroups(s.objective, targets)));
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
          : // Otherwise the network sees the render at its own size, as Lucent's fixed_image_size and the plain
            // PyTorch loop do: the transforms' crop (size + 2·pad − jitters) is resampled to it. The centre neuron is
            // then the same unit in the transformed and in the clean image, and no more pixels go through the network
            // than the user asked for (the natural crop, 140 px for 128, cost 1.2× the network work).
            [s.size, s.size],
    };
    optimizer = new Adam(param.variable, { lr: s.lr, lrEnd: s.lrEnd, steps: s.steps });
    // Every step draws each image's own jitter, scale and rotation from its own seeded stream.
    const transform = s.transforms
      ? (image: tf.Tensor4D) =>
          applySampling(
            image,
            samplingMap(
              s.size,
              s.size,
              rands.map((r) => drawTransform(r, tOpts)),
              tOpts,
            ),
          )
      : null;
    return await renderVis(
      {
        model,
        objective,
        loss: full,
        param,
        optimizer,
        transform,
        steps: s.steps,
        redirectSteps: s.redirectSteps,
        thresholds: s.thresholds,
      },
      options,
    );
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
    const { acts, subsets } = model.forwardSome(images, o.layers, false, o.channels);
    return Array.from(o.score({ acts, image: images, subsets }).dataSync());
  });
}
