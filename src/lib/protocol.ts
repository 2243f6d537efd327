/**
 * The typed messages between the studio (main thread) and the visualization worker — the only way they talk.
 * Images travel as RGBA ArrayBuffers in the transfer list, never as data URLs.
 */
import type { LayerInfo, ModelInfo, Normalization } from './engine/model.ts';
import type { ObjectiveKind } from './engine/objectives.ts';
import type { ParamKind } from './engine/param.ts';
import type { AttackResult } from './engine/adversarial.ts';
import type { Convolved } from './engine/convolution.ts';
import type { LayerExplained } from './engine/dataset-examples.ts';
import type { PlacedExample } from './engine/example-index.ts';
import type { Prediction } from './engine/adversarial.ts';
import type { PhotoRecord } from './store/photo-store.ts';

export const BACKENDS = ['auto', 'webgl', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
export const isBackendChoice = (b: string | null): b is BackendChoice => BACKENDS.includes(b as BackendChoice);

/** The settings a person picks for new renders. */
export interface JobSettings {
  objective: ObjectiveKind;
  size: number;
  steps: number;
  seed: number;
  param: ParamKind;
  transforms: boolean;
  /**
   * Diversity weight among the variants of one target rendered together; 0 for a single image (checkJobSettings): the
   * term has nothing to push apart there, and an image's identity must not carry a weight that did not touch it.
   */
  diversity: number;
  /**
   * Images of one target optimized together in one batch (1: a single image, what the gallery renders). Variant k of
   * a group of n depends on the other n−1, so n is part of each variant's identity (jobKey).
   */
  variants: number;
}

/**
 * Studio defaults. 160 steps: the fewest that keep every channel of the activation criterion (BENCHMARKS.md,
 * `npm run criterion -- --steps N`) at 2× the best photo or more with some margin — 24 of 24, weakest 2.07× (session 9:
 * 128 steps 23/24 with the weakest at 1.97×, 144 24/24 at exactly 2.00×, 256 24/24 at 2.11×). Learning rates 0.08–0.1
 * or a decaying schedule at 128 steps did not help.
 */
export const DEFAULT_JOB_SETTINGS: JobSettings = {
  objective: 'channel',
  size: 128,
  steps: 160,
  seed: 0,
  param: 'fourier',
  transforms: true,
  diversity: 0,
  variants: 1,
};

export interface Job {
  /** Unique per render request; equal to `jobKey(...)` so cache and queue agree. */
  id: string;
  modelId: string;
  layer: string;
  /** Channel, or class index for the logit objective. */
  channel: number;
  /** Which image of its group (0 … settings.variants − 1; 0 for a single image). */
  variant: number;
  settings: JobSettings;
  /** Higher runs first; equal priorities run in submission order. */
  priority: number;
  /** A composed objective around `channel` (absent: the channel itself). */
  combo?: Combo;
}

/**
 * Objectives composed around a job's channel, as the detail view offers them: the negative of the channel, its sum
 * or difference with another channel, a point `t` of the way to another channel (an interpolation strip is five of
 * these, rendered in one batch), or the unit of the channel at a position clicked on the layer's grid (fractions of
 * its height and width; the neuron objective).
 */
export type Combo =
  | { kind: 'neg' }
  | { kind: 'sum' | 'diff'; other: number }
  | { kind: 'mix'; other: number; t: number }
  | { kind: 'at'; y: number; x: number };

/** How a composed image is named in file names: "neg2", "2-plus-9", "2-minus-9", "2-to-9-25", "2-at-0.10-0.80". */
export function comboSlug(channel: number, c: Combo | undefined): string {
  if (!c) return String(channel);
  switch (c.kind) {
    case 'neg':
      return `neg${channel}`;
    case 'sum':
      return `${channel}-plus-${c.other}`;
    case 'diff':
      return `${channel}-minus-${c.other}`;
    case 'mix':
      return `${channel}-to-${c.other}-${Math.round(c.t * 100)}`;
    case 'at':
      return `${channel}-at-${c.y.toFixed(2)}-${c.x.toFixed(2)}`;
  }
}

/** How a composed image is named on screen: "−3", "3 + 9", "3 − 9", "3 → 9 (25 %)", "3 at (0.10, 0.80)". */
export function comboLabel(channel: number, c: Combo | undefined): string {
  if (!c) return String(channel);
  switch (c.kind) {
    case 'neg':
      return `−${channel}`;
    case 'sum':
      return `${channel} + ${c.other}`;
    case 'diff':
      return `${channel} − ${c.other}`;
    case 'mix':
      return `${channel} → ${c.other} (${Math.round(c.t * 100)} %)`;
    case 'at':
      return `${channel} at (${c.y.toFixed(2)}, ${c.x.toFixed(2)})`;
  }
}

/**
 * Priority classes: background work, what is on screen, what a person clicked. Within the on-screen and clicked
 * classes the most recent request goes first (its time is added; studio/request-priority.ts). A queued job one class
 * or more above every job of the running batch preempts that batch: it waits at its next step, keeping its steps,
 * until that work has run. So does a later click over a batch of earlier clicks (scheduler.ts, MAX_WAITING).
 */
export const PRIORITY = { background: 0, visible: 1e12, clicked: 2e12 } as const;
export const PREEMPT_MARGIN = 1e12;

/** The identity of a rendered image: model + layer + channel + variant + every setting that changes pixels. */
export function jobKey(j: Pick<Job, 'modelId' | 'layer' | 'channel' | 'variant' | 'settings' | 'combo'>): string {
  const s = j.settings;
  const base = [
    j.modelId,
    j.layer,
    j.channel,
    j.variant,
    s.objective,
    s.size,
    s.steps,
    s.seed,
    s.param,
    s.transforms ? 't' : 'n',
    s.diversity,
  ].join('|');
  // Single images keep the key they had before groups were part of it (cached renders stay found).
  const group = s.variants > 1 ? `${base}|x${s.variants}` : base;
  return j.combo ? `${group}|${JSON.stringify(j.combo)}` : group;
}

/**
 * The images that render as one: a variant of a group belongs to its group (named after variant 0; diversity acts
 * among them, so they share a batch and a claim across tabs); a single image is its own job.
 */
export function groupKey(j: Job): string {
  return j.settings.variants > 1 ? `${jobKey({ ...j, variant: 0 })}|group` : j.id;
}

/** Where a person's own model comes from. */
export type ModelSource =
  | { kind: 'url'; url: string }
  | { kind: 'files'; files: File[] }
  /** A model saved earlier in the browser (TensorFlow.js indexeddb:// storage). */
  | { kind: 'stored'; name: string };

export interface UserModelInfo {
  name: string;
  /** Hash of the model's bytes: its renders are cached under it, so a rename keeps them. */
  key: string | null;
  bytes: number;
  saved: string;
  inputRange: [number, number];
  normalize?: Normalization;
  labels: boolean;
  /** The URL it was opened from, when it came from one. */
  origin: string | null;
}

/** How pixel values in [0,1] are mapped to what the network expects. */
export interface InputMapping {
  inputRange: [number, number];
  normalize?: Normalization;
}

/** Top predictions on the sample photos for one candidate input range. */
/** An image for the range check: one of the studio's sample photos by name, or a person's own file. */
export interface CheckImage {
  name: string;
  /** The person's own image; without it, `name` is a sample photo served under /samples/. */
  blob?: Blob;
}

export interface RangeCheck extends InputMapping {
  photos: { photo: string; top: { label: string; p: number }[] }[];
}

/**
 * What to load. A registry model comes from the studio's own server; a person's model from a URL, files or the
 * browser's storage, kept there under `keepAs` (null: already kept, or only opened again after a worker restart).
 */
export type LoadSpec =
  | { kind: 'registry'; modelId: string; baseUrl: string; info: ModelInfo }
  | { kind: 'user'; modelId: string; source: ModelSource; mapping: InputMapping | null; keepAs: string | null };

export type ToWorker =
  /**
   * probeGpu false: start wasm without touching the GPU (a GPU that did not answer before). `gpus`: what the previous
   * worker's probe saw, used instead of probing again (null: probe).
   */
  | { type: 'init'; backend: BackendChoice; probeGpu: boolean; gpus: GpuProbes | null }
  /** Loads a model into the gallery; the reply ('model' or 'model-error') carries the same `req`. */
  | { type: 'load'; req: number; spec: LoadSpec }
  /** Loads a model only to show its predictions on the sample photos under several input ranges. */
  | { type: 'check-ranges'; req: number; source: ModelSource; ranges: InputMapping[]; samples: CheckImage[] }
  | { type: 'list-models' }
  | { type: 'delete-model'; name: string }
  | { type: 'rename-model'; name: string; to: string }
  /** Changes a kept model's input range (its renders under the old range stay cached under that range). */
  | { type: 'set-model-range'; name: string; mapping: InputMapping }
  | { type: 'enqueue'; jobs: Job[] }
  /** The photo lab: a photo's luminance convolved with a 3×3 kernel, and the loaded model's first feature maps. */
  | {
      type: 'convolve';
      req: number;
      photo: CheckImage;
      kernel: number[] | 'magnitude';
      stride: number;
      padding: 'same' | 'valid';
    }
  /** The photo lab: an adversarial example of a photo for the loaded model (FGSM for 1 step, else PGD). */
  | { type: 'attack'; req: number; photo: CheckImage; epsilon: number; steps: number; target: number | null }
  /** Feature inversion of the photo at each layer (one image per layer, engine/inversion.ts); snapshots stream back. */
  | { type: 'invert'; req: number; photo: CheckImage; layers: string[]; size: number; steps: number }
  /** Stops the inversion running, if any (a newer one, a model or backend change stop it too). */
  | { type: 'invert-stop' }
  /** The photo set (kept in IndexedDB by the worker): the list (the sample photos are put in once), add, remove. */
  | { type: 'photos-list' }
  | { type: 'photos-add'; files: File[] }
  | { type: 'photos-remove'; ids: string[] }
  /** Stops adding photos, or summarizing them for the loaded model, after the current batch. */
  | { type: 'photos-cancel' }
  /** One photo explained on the loaded model: its top classes, and per layer its top channels with their maps. */
  | {
      type: 'explain-photo';
      req: number;
      photo: string;
      layers: string[];
      n: number;
      /** A channel whose map is wanted whatever its rank (a dataset example's card). */
      pinned?: { layer: string; channel: number };
    }
  /** Dataset examples of channels (the photo set summarized for their layers first, where it is not yet). */
  | { type: 'examples'; req: number; wants: { layer: string; channels: number[] }[]; k: number }
  | { type: 'prioritize'; ids: string[]; priority: number }
  | { type: 'cancel'; ids: string[] | 'all' }
  /** These finished renders are in the cache (or could not be written): their claims can go (workers/render-claims.ts). */
  | { type: 'written'; ids: string[] }
  | { type: 'pause' }
  | { type: 'resume' }
  /** Still answering? Asked while a render runs; the worker answers 'pong' at once (worker-client.ts). */
  | { type: 'ping' }
  /** Test-only: makes the worker die as an uncaught error would. */
  | { type: 'test-crash' }
  /** Test-only: makes a helper engine die (helper-engines.ts) as an uncaught error would. */
  | { type: 'test-crash-helper' }
  /** Test-only: loses the WebGL context as a GPU reset or driver crash would. */
  | { type: 'test-lose-context' }
  /** Test-only: blocks the worker's thread for `ms`, as a stuck GPU call would. */
  | { type: 'test-hang'; ms: number }
  /** Test-only: asks for the worker's live tensor count (a 'test-memory' reply). */
  | { type: 'test-memory' };

export interface QueueState {
  pending: number;
  running: number;
  paused: boolean;
  /** Recent milliseconds per step of the running batch (for the ETA). */
  msPerStep: number;
  /**
   * Milliseconds left, from ms/step measured per layer and size (deep layers cost more per step); a layer not measured
   * yet is estimated from the measured one nearest in depth, scaled by depth. Null until anything was measured.
   */
  etaMs: number | null;
  /** The same, per layer with queued or running jobs. */
  etaByLayer: Record<string, number>;
  /** Queued renders (in `pending`) that another tab of the studio is rendering now: they come from the cache. */
  elsewhere: number;
  /** The engines the running batch renders on: the worker's own (1), or helper engines, one per core (0: none runs). */
  engines: number;
}

/** What a worker saw of one GPU API (WebGL2 or WebGPU): there or not, its renderer, and whether it is software. */
export interface GpuInfo {
  available: boolean;
  renderer: string | null;
  software: boolean;
}

/** Both GPU APIs as a worker's probe saw them. */
export interface GpuProbes {
  webgl: GpuInfo;
  webgpu: GpuInfo;
}

/** What a worker's backend start reports: what runs, on what, and why. */
export interface BackendReady {
  backend: string;
  /** The wasm backend's thread count (null for other backends). */
  threads: number | null;
  /** wasm only: the engine's hand-written SIMD kernels bound to the backend's memory (false: tfjs-op fallbacks). */
  simd: boolean | null;
  renderer: string | null;
  note: string | null;
  /** The backend runs on a software GPU (SwiftShader, llvmpipe): many times slower than wasm. */
  software: boolean;
  /** The GPU this worker sees (WebGL or WebGPU) is software-rendered, whichever backend runs (the menu says so). */
  softwareGpu: boolean;
  /** What the probe saw (handed to the next worker of this page, which then need not ask a busy GPU again). */
  gpus: GpuProbes;
}

export type FromWorker =
  /** threads: the wasm backend's thread count (null for other backends). */
  | ({ type: 'ready' } & BackendReady)
  /** `key`: the model's identity in the cache and the queue (the registry id, or a hash of a person's model's bytes). */
  | {
      type: 'model';
      req: number;
      modelId: string;
      key: string;
      layers: LayerInfo[];
      inputShape: [number, number, number];
      labels: string[] | null;
      labelOffset: number;
    }
  | { type: 'model-error'; req: number; modelId: string; message: string }
  /** The backend cannot go on (wasm out of memory, a lost GPU that wasm cannot replace): start a fresh worker. */
  | { type: 'broken'; message: string }
  | { type: 'user-models'; models: UserModelInfo[] }
  /** `declared`: the input range the model itself states (a Rescaling layer on its input), with the reason. */
  | {
      type: 'range-check';
      req: number;
      checks: RangeCheck[];
      inputShape: [number, number, number];
      declared: { range: [number, number]; why: string } | null;
    }
  | { type: 'range-check-error'; req: number; message: string }
  | { type: 'job-started'; id: string }
  /** A running job was put back in the queue (its helper engines failed): it starts again from its first step. */
  | { type: 'job-requeued'; id: string }
  /**
   * A running job waits, its steps and image kept, while work that outranked its batch runs (a click while background
   * work runs); `job-started` again when it goes on.
   */
  | { type: 'job-waiting'; id: string }
  | { type: 'snapshot'; id: string; step: number; steps: number; width: number; height: number; rgba: ArrayBuffer; value: number }
  | { type: 'job-done'; id: string; value: number; curve: { step: number; value: number }[]; seconds: number; backend: string }
  | { type: 'job-failed'; id: string; message: string }
  | { type: 'queue'; state: QueueState }
  | { type: 'error'; message: string }
  | { type: 'notice'; message: string }
  | { type: 'pong' }
  | { type: 'test-memory'; numTensors: number }
  | { type: 'convolved'; req: number; lab: ConvolvedLab }
  | { type: 'attacked'; req: number; result: AttackResult }
  | { type: 'inverted'; req: number; snapshot: InversionSnapshot }
  /** `stopped`: not a failure — the work was stopped (by a newer request, a stop, another model or backend). */
  | { type: 'lab-error'; req: number; message: string; stopped?: boolean }
  | { type: 'photos'; photos: PhotoRecord[] }
  | { type: 'photos-progress'; progress: PhotoProgress }
  | { type: 'photo-explained'; req: number; result: PhotoExplained }
  /** `modelKey`: the model the examples were computed on. */
  | { type: 'examples'; req: number; modelKey: string; results: ChannelExamples[] }
  | { type: 'photo-error'; req: number; message: string };

/** The photo set's work in progress: adding photos, or summarizing them for the loaded model. */
export interface PhotoProgress {
  work: 'adding' | 'indexing';
  done: number;
  total: number;
  /** Files that were not added (not an image, unreadable), with why. */
  skipped: { photo: string; reason: string }[];
  /** Adding only: photos new to the set, and files whose bytes were already in it (kept once). */
  added?: number;
  duplicates?: number;
  finished: boolean;
  /** Cancelled (by the person, or a model change) before the end. */
  stopped: boolean;
}

export interface PhotoExplained {
  photo: string;
  /** Top-5 classes; null for a model without class scores. */
  classes: Prediction[] | null;
  layers: LayerExplained[];
}

/** A channel's dataset examples from the photo set, and the photos' best values (for the truth number). */
export interface ChannelExamples {
  layer: string;
  channel: number;
  /** Photo ids (PhotoRecord.id), highest value first. */
  examples: PlacedExample[];
  /** The best maximum and the best mean of the channel over the photos; null with no photos. */
  best: { max: number; maxPhoto: string; mean: number; meanPhoto: string } | null;
  photos: number;
}

/** An inversion's images at one step: one RGBA image per layer asked, and each one's likeness to the photo. */
export interface InversionSnapshot {
  step: number;
  steps: number;
  images: Uint8Array[];
  values: number[];
  width: number;
  height: number;
  /** The last snapshot: the inversion ended. */
  done: boolean;
}

/** What the convolution playground shows: the photo's luminance, the convolution, and the model's first feature maps. */
export interface ConvolvedLab {
  /** The photo's luminance at the model's input size (side × side, row by row, 0–1). */
  side: number;
  gray: Float32Array;
  output: Convolved;
  /** The first conv layer's outputs on the same photo (up to 8 channels). */
  maps: { layer: string; width: number; height: number; channels: Float32Array[] } | null;
}
