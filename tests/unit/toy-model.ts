/**
 * A small CNN of an architecture the project's registry does not have — grayscale 56×48 input, residual Add,
 * Concatenate, SeparableConv2D, pooling, LeakyReLU, ELU, PReLU and Cropping2D (the last two have no fast path) —
 * built with tfjs-layers and saved as model.json + weights, as a person would bring it.
 */
import * as tf from '@tensorflow/tfjs';
import { saveLayersPackage } from './layers-package.ts';

export async function saveToyModel(dir: string): Promise<tf.LayersModel> {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [56, 48, 1], name: 'image' });
  let x = tf.layers
    .conv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: init(1) })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }).apply(x) as tf.SymbolicTensor;
  const a = tf.layers
    .separableConv2d({
      filters: 16,
      kernelSize: 3,
      padding: 'same',
      name: 'sep2',
      depthwiseInitializer: init(2),
      pointwiseInitializer: init(3),
    })
    .apply(x) as tf.SymbolicTensor;
  const b = tf.layers
    .conv2d({ filters: 16, kernelSize: 1, name: 'skip2', kernelInitializer: init(4) })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.add({ name: 'add2' }).apply([a, b]) as tf.SymbolicTensor;
  x = tf.layers.leakyReLU({ alpha: 0.1, name: 'lrelu2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.zeroPadding2d({ padding: 1, name: 'zpad3' }).apply(x) as tf.SymbolicTensor;
  const c = tf.layers
    .conv2d({ filters: 12, kernelSize: 3, strides: 2, activation: 'elu', name: 'c3a', kernelInitializer: init(5) })
    .apply(x) as tf.SymbolicTensor;
  const d = tf.layers
    .depthwiseConv2d({ kernelSize: 3, strides: 2, name: 'dw3b', depthwiseInitializer: init(6) })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.concatenate({ name: 'cat3' }).apply([c, d]) as tf.SymbolicTensor;
  x = tf.layers
    .prelu({ name: 'prelu3', alphaInitializer: tf.initializers.constant({ value: 0.2 }) })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .cropping2D({
      cropping: [
        [1, 1],
        [1, 1],
      ],
      name: 'crop3',
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({ filters: 24, kernelSize: 3, padding: 'same', name: 'c4', kernelInitializer: init(7) })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.averagePooling2d({ poolSize: 2, name: 'apool4' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.1, name: 'drop' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: 5, activation: 'softmax', name: 'probs', kernelInitializer: init(8) })
    .apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  // Non-trivial batch-norm statistics, so folding is really exercised.
  const bn = model.getLayer('bn1');
  bn.setWeights(
    bn
      .getWeights()
      .map((w, i) => tf.add(tf.mul(tf.randomUniform(w.shape, 0, 1, 'float32', 10 + i), i === 3 ? 2 : 0.5), i === 3 ? 0.5 : 0.1)),
  );
  await saveLayersPackage(model, dir);
  return model;
}
