/**
 * A small Keras-style model that rescales its own input, as Keras applications built with their preprocessing do:
 * Rescaling(1/127.5, −1) on raw pixels, then a conv, pooling and a 3-way softmax.
 */
import * as tf from '@tensorflow/tfjs';
import { saveLayersPackage } from './layers-package.ts';

export async function saveRescalingModel(dir: string): Promise<tf.LayersModel> {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [32, 32, 3], name: 'pixels' });
  let x = tf.layers.rescaling({ scale: 1 / 127.5, offset: -1, name: 'rescale' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({ filters: 8, kernelSize: 3, activation: 'relu', name: 'conv', kernelInitializer: init(1) })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({ filters: 8, kernelSize: 3, strides: 2, name: 'conv2', kernelInitializer: init(2) })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: 3, activation: 'softmax', name: 'probs', kernelInitializer: init(3) })
    .apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  await saveLayersPackage(model, dir);
  return model;
}
