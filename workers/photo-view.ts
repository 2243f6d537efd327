/**
 * The network's view of a decoded photo in the worker, one way for every panel: the browser cuts the centre square
 * (so a large photo is never a full-size tensor), then centreCrop resizes it as the CLI does (bilinear, corners
 * aligned), so a photo gives the same numbers in the photo lab, the photo set and the CLI.
 */
import * as tf from '@tensorflow/tfjs';
import { centreCrop } from '../src/lib/engine/image-ops.ts';

/** [1, height, width, 3] in [0,1]; the bitmap stays open (the caller closes it). */
export async function squareView(bitmap: ImageBitmap, height: number, width: number): Promise<tf.Tensor4D> {
  const side = Math.min(bitmap.width, bitmap.height);
  const sx = Math.floor((bitmap.width - side) / 2);
  const sy = Math.floor((bitmap.height - side) / 2);
  const crop = await createImageBitmap(bitmap, sx, sy, side, side);
  try {
    return tf.tidy(() => centreCrop(tf.div(tf.browser.fromPixels(crop), 255) as tf.Tensor3D, height, width));
  } finally {
    crop.close();
  }
}
