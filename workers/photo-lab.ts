/**
 * The photo lab's work in the worker: a photo (a sample or the person's own) as the loaded model sees it, convolved
 * with the playground's kernel next to the model's own first feature maps, turned into an adversarial example, or
 * inverted: what each of some layers keeps of it.
 */
import * as tf from '@tensorflow/tfjs';
import { attack } from '../src/lib/engine/adversarial.ts';
import { invertPhoto } from '../src/lib/engine/inversion.ts';
import { RenderCancelled, type Snapshot } from '../src/lib/engine/render-vis.ts';
import { convolve, luminance } from '../src/lib/engine/convolution.ts';
import type { FeatureModel } from '../src/lib/engine/model.ts';
import { readBack } from '../src/lib/engine/read-back.ts';
import type { CheckImage, ConvolvedLab, FromWorker, ToWorker } from '../src/lib/protocol.ts';
import { squareView } from './photo-view.ts';
import { decodeCheckImage } from './range-check.ts';

/** The photo's centre square at the model's input size, RGB in [0,1]. */
async function view(m: FeatureModel, photo: CheckImage): Promise<tf.Tensor4D> {
  const bitmap = await decodeCheckImage(photo);
  try {
    return await squareView(bitmap, m.inputShape[0], m.inputShape[1]);
  } finally {
    bitmap.close();
  }
}

/** The first conv layer's raw output (the conv itself, before batch norm and activation), first 8 channels. */
async function firstMaps(m: FeatureModel, photo: tf.Tensor4D): Promise<ConvolvedLab['maps']> {
  const first = m.layers.find((l) => l.anatomy?.kind === 'conv' && l.shape[0] > 1);
  if (!first) return null;
  const layer = m.layers.find((l) => l.name === first.anatomy!.op)?.name ?? first.name;
  // The first 8 channels, channel-major, in one read.
  const maps = tf.tidy(() => {
    const out = m.forward(photo, [layer]).get(layer)! as tf.Tensor4D;
    const [, h, w, c] = out.shape;
    return out.slice([0, 0, 0, 0], [1, h, w, Math.min(8, c)]).transpose([3, 0, 1, 2]);
  });
  const [count, , height, width] = maps.shape;
  try {
    const all = (await readBack(maps)) as Float32Array;
    const channels = Array.from({ length: count }, (_, i) => all.slice(i * height * width, (i + 1) * height * width));
    return { layer, width, height, channels };
  } finally {
    maps.dispose();
  }
}

/** Runs `work` on the photo's view for the model, and disposes the view whatever happens. */
async function withView<T>(m: FeatureModel, photo: CheckImage, work: (view: tf.Tensor4D) => Promise<T>): Promise<T> {
  const v = await view(m, photo);
  try {
    return await work(v);
  } finally {
    v.dispose();
  }
}

export function convolveLab(
  m: FeatureModel,
  msg: Extract<ToWorker, { type: 'convolve' }>,
): Promise<Extract<FromWorker, { type: 'convolved' }>> {
  return withView(m, msg.photo, async (photo) => {
    const gray = luminance(photo);
    try {
      const output = await convolve(gray, { kernel: msg.kernel, stride: msg.stride, padding: msg.padding });
      const grayValues = (await readBack(gray)) as Float32Array;
      const lab = { side: gray.shape[1], gray: grayValues, output, maps: await firstMaps(m, photo) };
      return { type: 'convolved' as const, req: msg.req, lab };
    } finally {
      gray.dispose();
    }
  });
}

export function attackLab(
  m: FeatureModel,
  msg: Extract<ToWorker, { type: 'attack' }>,
): Promise<Extract<FromWorker, { type: 'attacked' }>> {
  return withView(m, msg.photo, async (photo) => ({
    type: 'attacked' as const,
    req: msg.req,
    result: await attack(m, photo, { epsilon: msg.epsilon, steps: msg.steps, target: msg.target }),
  }));
}

type Post = (m: FromWorker, transfer?: Transferable[]) => void;

/**
 * The lab's feature inversion: one at a time, its snapshots posted as they come. A newer inversion, a stop, or a
 * model or backend change stops the one running at its next step.
 */
export class Inversions {
  private running: AbortController | null = null;
  /** The one request that may still run (0: none): older ones, queued behind other work, end as stopped. */
  private latest = 0;
  /** Why the last stop came (a model or backend change names itself). */
  private why = 'stopped';

  constructor(private readonly post: Post) {}

  /** A new inversion asked for: the one running stops, and only this one runs. */
  ask(req: number): void {
    this.stop();
    this.latest = req;
  }

  stop(why = 'stopped'): void {
    this.running?.abort();
    this.running = null;
    this.latest = 0;
    this.why = why;
  }

  async run(m: FeatureModel | null, msg: Extract<ToWorker, { type: 'invert' }>): Promise<void> {
    const stop = new AbortController();
    this.running = stop;
    const send = (s: Snapshot, done: boolean) =>
      this.post(
        { type: 'inverted', req: msg.req, snapshot: { ...s, steps: msg.steps, done } },
        s.images.map((i) => i.buffer as ArrayBuffer),
      );
    try {
      // Stopped while it waited for its turn (a newer one asked, the model changed).
      if (msg.req !== this.latest) throw new RenderCancelled();
      if (!m) throw new Error('no model is loaded yet');
      const r = await withView(m, msg.photo, (photo) =>
        invertPhoto(
          m,
          photo,
          msg.layers,
          { size: msg.size, steps: msg.steps },
          {
            signal: stop.signal,
            // The last step's images go out once, with the clean likeness values, as the final snapshot.
            onSnapshot: (s) => s.step < msg.steps && send(s, false),
          },
        ),
      );
      send({ ...r.final, values: r.cleanValues }, true);
    } catch (e) {
      if (e instanceof RenderCancelled) this.post({ type: 'lab-error', req: msg.req, message: this.why, stopped: true });
      else this.post({ type: 'lab-error', req: msg.req, message: (e as Error).message });
    } finally {
      if (this.running === stop) this.running = null;
    }
  }
}
