/**
 * Cards: one per rendered or requested image. A card is a plain object (the studio keeps them in a reactive map and
 * replaces a card on every change); a card restored from the cache reads its snapshots from it only when someone
 * looks (the detail view's slider), keeps them as PNG bytes and decodes them then.
 */
import { decode } from 'fast-png';
import type { Combo, JobSettings } from '../protocol.ts';
import type { RenderRecord, Snapshots } from '../store/cache.ts';

export interface Frame {
  step: number;
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  value: number;
}

/** Queued or running: a render someone still waits for. */
export const isPending = (c: Pick<Card, 'status'> | undefined): boolean => c?.status === 'queued' || c?.status === 'running';

export interface Card {
  key: string;
  /** The model's cache identity (see LoadedModel.key). */
  modelKey: string;
  layer: string;
  channel: number;
  variant: number;
  /** A composed objective around `channel` (see protocol.ts), absent for the channel itself. */
  combo?: Combo;
  settings: JobSettings;
  status: 'queued' | 'running' | 'done' | 'failed';
  /**
   * Started, and waiting with its steps and image kept while a render that outranked its batch runs (a click during
   * background work); it goes on afterwards. Still `running` for everything that asks whether it is pending.
   */
  waiting?: boolean;
  /** Latest image; every streamed snapshot replaces it. */
  frame: Frame | null;
  /** Snapshots streamed during this session. */
  frames: Frame[];
  /** Snapshots of a card restored from the cache, still encoded (see framesOf). */
  storedSnapshots: { step: number; png: Uint8Array; value: number }[];
  /** Restored from the cache, whose snapshots are still there, not read yet (see withSnapshots). */
  snapshotsInCache: boolean;
  /** How many times the image was updated while rendering (the live stream, for tests and the UI). */
  updates: number;
  steps: number;
  value: number | null;
  curve: { step: number; value: number }[];
  seconds: number | null;
  backend: string | null;
  fromCache: boolean;
  error: string | null;
}

export function rgbaFromPng(png: Uint8Array): { width: number; height: number; rgba: Uint8ClampedArray } {
  const img = decode(png);
  const src = img.data as Uint8Array;
  if (img.channels === 4) return { width: img.width, height: img.height, rgba: new Uint8ClampedArray(src) };
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  for (let p = 0; p < img.width * img.height; p++) {
    rgba[p * 4] = src[p * img.channels];
    rgba[p * 4 + 1] = src[p * img.channels + 1];
    rgba[p * 4 + 2] = src[p * img.channels + 2];
    rgba[p * 4 + 3] = 255;
  }
  return { width: img.width, height: img.height, rgba };
}

export function queuedCard(
  key: string,
  modelKey: string,
  layer: string,
  channel: number,
  variant: number,
  settings: JobSettings,
  combo?: Combo,
): Card {
  return {
    key,
    modelKey,
    layer,
    channel,
    variant,
    ...(combo ? { combo } : {}),
    settings,
    status: 'queued',
    frame: null,
    frames: [],
    storedSnapshots: [],
    snapshotsInCache: false,
    updates: 0,
    steps: settings.steps,
    value: null,
    curve: [],
    seconds: null,
    backend: null,
    fromCache: false,
    error: null,
  };
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** The width and height in a PNG's header; throws when the bytes do not start as a PNG does. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const ok =
    png.length > 24 && PNG_SIGNATURE.every((b, i) => png[i] === b) && String.fromCharCode(...png.subarray(12, 16)) === 'IHDR';
  if (!ok) throw new Error('not a PNG image');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * A frame whose pixels are decoded from `png` the first time they are read (a card drawn, exported), once. Restoring
 * a model's cached renders decoded every final PNG up front: 1.7 ms each at 128 px, most of the 1.9 s that 1000 of
 * them added to a reload before the first card showed. Bytes that fail to decode give a blank image.
 */
export function lazyFrame(png: Uint8Array, step: number, value: number): Frame {
  const { width, height } = pngSize(png);
  let rgba: Uint8ClampedArray | null = null;
  return {
    step,
    width,
    height,
    value,
    get rgba() {
      if (!rgba) {
        try {
          const img = rgbaFromPng(png);
          rgba = img.width === width && img.height === height ? img.rgba : new Uint8ClampedArray(width * height * 4);
        } catch {
          rgba = new Uint8ClampedArray(width * height * 4);
        }
      }
      return rgba;
    },
  };
}

/**
 * A finished card from a cache record: its final image is decoded when first drawn (bytes that are not a PNG throw
 * here, and the caller skips the record); its snapshots stay in the cache until someone looks.
 */
export function cardFromRecord(r: RenderRecord): Card {
  const final = lazyFrame(r.png, r.settings.steps, r.value);
  // Written before settings had a group size: a single image (its key has none either).
  const settings = r.settings.variants ? r.settings : { ...r.settings, variants: 1 };
  return {
    ...queuedCard(r.key, r.modelId, r.layer, r.channel, r.variant, settings, r.combo),
    status: 'done',
    frame: final,
    snapshotsInCache: true,
    value: r.value,
    curve: r.curve ?? [],
    seconds: r.seconds,
    backend: r.backend,
    fromCache: true,
  };
}

/** A restored card's change once its snapshots are read from the cache: each with its value from the curve. */
export function withSnapshots(card: Card, snapshots: Snapshots): Pick<Card, 'storedSnapshots' | 'snapshotsInCache'> {
  return {
    snapshotsInCache: false,
    storedSnapshots: snapshots.map((s) => ({
      step: s.step,
      png: s.png,
      value: card.curve.find((c) => c.step === s.step)?.value ?? NaN,
    })),
  };
}

const decoded = new WeakMap<Card['storedSnapshots'], Frame[]>();

/** The card's snapshots in step order, decoding stored ones on first use; the final image when there are none. */
export function framesOf(card: Card): Frame[] {
  if (card.frames.length) return card.frames;
  if (!card.storedSnapshots.length) return card.frame ? [card.frame] : [];
  let frames = decoded.get(card.storedSnapshots);
  if (!frames) {
    frames = [];
    for (const s of card.storedSnapshots) {
      try {
        frames.push({ step: s.step, value: s.value, ...rgbaFromPng(s.png) });
      } catch {
        // A damaged snapshot is left out; the final image is still there.
      }
    }
    if (!frames.length && card.frame) frames.push(card.frame);
    decoded.set(card.storedSnapshots, frames);
  }
  return frames;
}
