/**
 * The settings a render takes, and their defaults: plain data with no TensorFlow.js in it, so that the page (settings
 * panel, PNG metadata) can read them without loading the engine.
 */
import type { ObjectiveKind } from './objectives.ts';
import type { ParamKind } from './param.ts';

export interface RenderSettings {
  layer: string;
  objective: ObjectiveKind;
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
