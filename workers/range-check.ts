/**
 * The open-model dialog's range check: a model's top classes on the sample photos (and the person's own images)
 * under several input ranges, so the person can see which range the model was trained with.
 */
import * as tf from '@tensorflow/tfjs';
import { labelOffset, probabilities } from '../src/lib/engine/classes.ts';
import { FeatureModel } from '../src/lib/engine/model.ts';
import { readBack } from '../src/lib/engine/read-back.ts';
import type { CheckImage, FromWorker, InputMapping, RangeCheck } from '../src/lib/protocol.ts';
import type { Opened } from './sources.ts';
import { readLabels } from './sources.ts';

/** Decodes a range-check image; a file the browser cannot decode is named in the message. */
export async function decodeCheckImage(s: CheckImage): Promise<ImageBitmap> {
  const blob = s.blob ?? (await (await fetch(`/samples/${s.name}.jpg`)).blob());
  try {
    return await createImageBitmap(blob);
  } catch {
    throw new Error(`${s.name}: not an image the browser can decode (${blob.type || 'unknown type'}, ${blob.size} bytes)`);
  }
}

/** Top 3 classes of every image under every range; whatever fails, no tensor and no bitmap is left behind. */
export async function checkRanges(
  open: () => Promise<Opened>,
  ranges: InputMapping[],
  samples: CheckImage[],
): Promise<Omit<Extract<FromWorker, { type: 'range-check' }>, 'req'>> {
  let m: FeatureModel | null = null;
  const bitmaps: ImageBitmap[] = [];
  let batch: tf.Tensor4D | null = null;
  try {
    const o = await open();
    const labels = await readLabels(o);
    m = await FeatureModel.load(o.read, { id: 'range-check', ...ranges[0] }, o.entry);
    const model = m;
    const logits = model.logitsLayer;
    if (!logits) throw new Error('the model has no class-score output to check');
    const [h, w] = model.inputShape;
    for (const s of samples) bitmaps.push(await decodeCheckImage(s));
    batch = tf.tidy(
      () =>
        tf.concat(
          bitmaps.map((bm) =>
            tf.image.resizeBilinear(tf.browser.fromPixels(bm).toFloat().div(255).expandDims(0) as tf.Tensor4D, [h, w]),
          ),
        ) as tf.Tensor4D,
    );
    const input = batch;
    const offset = labelOffset(logits.shape[2], labels);
    const checks: RangeCheck[] = [];
    for (const range of ranges) {
      model.setInputRange(range.inputRange, range.normalize);
      const top = tf.tidy(() => {
        const out = model.forward(input, [logits.name]).get(logits.name)!;
        return tf.topk(probabilities(out.reshape([out.shape[0], -1])), 3);
      });
      // Read back the backend's way (asynchronously on WebGPU), then dispose.
      const k = top.values.shape[1];
      let values: ArrayLike<number>, indices: ArrayLike<number>;
      try {
        [values, indices] = [await readBack(top.values), await readBack(top.indices)];
      } finally {
        tf.dispose([top.values, top.indices]);
      }
      checks.push({
        ...range,
        photos: samples.map((s, i) => ({
          photo: s.name,
          top: Array.from({ length: k }, (_, j) => {
            const c = indices[i * k + j];
            return { label: labels?.[c - offset]?.split(',')[0] ?? `class ${c}`, p: values[i * k + j] };
          }),
        })),
      });
    }
    return { type: 'range-check', checks, inputShape: model.inputShape, declared: model.declaredRange ?? null };
  } finally {
    bitmaps.forEach((bm) => bm.close());
    batch?.dispose();
    m?.dispose();
  }
}
