/** Image preparation shared by the worker and Node: the square view of a photo that the network sees. */
import * as tf from '@tensorflow/tfjs';

/** Centre square crop of an image [h, w, 3], resized to size×width (corners aligned), as a batch of one. */
export function centreCrop(image: tf.Tensor3D, size: number, width = size): tf.Tensor4D {
  return tf.tidy(() => {
    const [h, w] = image.shape;
    const side = Math.min(h, w);
    // A square image is its own crop: wasm's slice copies its whole input out of the heap (0.2 s for 2951 px).
    const crop = h === w ? image : image.slice([Math.floor((h - side) / 2), Math.floor((w - side) / 2), 0], [side, side, 3]);
    return tf.image.resizeBilinear(crop.expandDims(0) as tf.Tensor4D, [size, width], true);
  });
}
