/**
 * DigitNet: a small digit classifier whose architecture appears nowhere else in the project. Grayscale 28×28 input
 * in [0,1]; a swish stem; a residual block of separable convolutions; an inception-like block (1×1, 3×3 and a
 * depthwise 5×5 branch, concatenated); squeeze-and-excitation gating through Dense layers and Multiply; ReLU6 and
 * average pooling; a 10-way softmax head. Built with tfjs-layers; trained by scripts/train-digitnet.ts.
 */
import * as tf from '@tensorflow/tfjs';

type T = tf.SymbolicTensor;

export function buildDigitNet(seed: number): tf.LayersModel {
  let s = seed;
  const init = () => tf.initializers.heNormal({ seed: s++ });
  const apply = (layer: tf.layers.Layer, x: T | T[]) => layer.apply(x) as T;
  const bn = (name: string, x: T) => apply(tf.layers.batchNormalization({ name }), x);

  const input = tf.input({ shape: [28, 28, 1], name: 'digit' });
  let x = apply(
    tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false, name: 'stem', kernelInitializer: init() }),
    input,
  );
  x = apply(tf.layers.activation({ activation: 'swish', name: 'stem_swish' }), bn('stem_bn', x));

  // Residual block of two separable convolutions.
  let r = apply(
    tf.layers.separableConv2d({
      filters: 16,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      name: 'res_sep1',
      depthwiseInitializer: init(),
      pointwiseInitializer: init(),
    }),
    x,
  );
  r = apply(tf.layers.reLU({ name: 'res_relu1' }), bn('res_bn1', r));
  r = apply(
    tf.layers.separableConv2d({
      filters: 16,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      name: 'res_sep2',
      depthwiseInitializer: init(),
      pointwiseInitializer: init(),
    }),
    r,
  );
  x = apply(tf.layers.add({ name: 'res_add' }), [x, bn('res_bn2', r)]);
  x = apply(tf.layers.reLU({ name: 'res_out' }), x);
  x = apply(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }), x); // 14×14

  // Inception-like block.
  const b1 = apply(
    tf.layers.conv2d({ filters: 16, kernelSize: 1, activation: 'relu', name: 'mix_1x1', kernelInitializer: init() }),
    x,
  );
  const b2 = apply(
    tf.layers.conv2d({
      filters: 24,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      name: 'mix_3x3',
      kernelInitializer: init(),
    }),
    x,
  );
  let b3 = apply(tf.layers.depthwiseConv2d({ kernelSize: 5, padding: 'same', name: 'mix_dw5', depthwiseInitializer: init() }), x);
  b3 = apply(
    tf.layers.conv2d({ filters: 16, kernelSize: 1, activation: 'elu', name: 'mix_dw5_pw', kernelInitializer: init() }),
    b3,
  );
  x = apply(tf.layers.concatenate({ name: 'mix_cat' }), [b1, b2, b3]); // 56 channels
  x = bn('mix_bn', x);

  // Squeeze-and-excitation gate.
  let g = apply(tf.layers.globalAveragePooling2d({ name: 'se_pool' }), x);
  g = apply(tf.layers.dense({ units: 14, activation: 'relu', name: 'se_reduce', kernelInitializer: init() }), g);
  g = apply(tf.layers.dense({ units: 56, activation: 'sigmoid', name: 'se_expand', kernelInitializer: init() }), g);
  g = apply(tf.layers.reshape({ targetShape: [1, 1, 56], name: 'se_shape' }), g);
  x = apply(tf.layers.multiply({ name: 'se_gate' }), [x, g]);
  x = apply(tf.layers.averagePooling2d({ poolSize: 2, name: 'pool2' }), x); // 7×7

  x = apply(
    tf.layers.conv2d({ filters: 48, kernelSize: 3, padding: 'same', useBias: false, name: 'top', kernelInitializer: init() }),
    x,
  );
  x = apply(tf.layers.reLU({ maxValue: 6, name: 'top_relu6' }), bn('top_bn', x));
  x = apply(tf.layers.globalAveragePooling2d({ name: 'head_pool' }), x);
  x = apply(tf.layers.dropout({ rate: 0.2, name: 'head_drop' }), x);
  const out = apply(tf.layers.dense({ units: 10, activation: 'softmax', name: 'digit_probs', kernelInitializer: init() }), x);
  return tf.model({ inputs: input, outputs: out, name: 'digitnet' });
}
