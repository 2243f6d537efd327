/**
 * A trained network in a package the project has not seen: MobileNet v1 α0.25's ImageNet weights rebuilt as a
 * Sequential, grayscale, 160×160 model with batch-norm folded into biased convs, `ReLU` layers (max_value 6) after
 * the depthwise convs, fused `relu6` activations on the pointwise convs, and a Dense softmax head. Saved as
 * model.json + weights, as a person would bring it. (No other trained network is available offline here.)
 */
import * as tf from '@tensorflow/tfjs';
import { saveLayersPackage } from './layers-package.ts';
import { loadLayersReference } from '../../src/lib/node/files.ts';

/** Kernel and bias of a conv followed by batch-norm, folded (per output channel; depthwise: per input channel). */
function fold(ref: tf.LayersModel, conv: string, bn: string, depthwise: boolean): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const [k] = ref.getLayer(conv).getWeights();
    const [gamma, beta, mean, variance] = ref.getLayer(bn).getWeights();
    const eps = (ref.getLayer(bn).getConfig() as { epsilon: number }).epsilon;
    const scale = tf.div(gamma, tf.sqrt(tf.add(variance, eps)));
    const shape = depthwise ? [1, 1, -1, 1] : [1, 1, 1, -1];
    return [tf.mul(k, scale.reshape(shape)), tf.sub(beta, tf.mul(mean, scale))];
  });
}

export async function saveRemixModel(sourceDir: string, dir: string): Promise<void> {
  const ref = await loadLayersReference(sourceDir);
  const m = tf.sequential();
  const side = 160;
  m.add(tf.layers.conv2d({ name: 'stem', inputShape: [side, side, 1], filters: 8, kernelSize: 3, strides: 2, padding: 'same' }));
  m.add(tf.layers.reLU({ name: 'stem_act', maxValue: 6 }));
  const weights: tf.Tensor[] = [];
  const [k1, b1] = fold(ref, 'conv1', 'conv1_bn', false);
  weights.push(tf.sum(k1, 2, true), b1); // RGB all equal to the gray value: the kernels over R, G, B add up
  for (let i = 1; i <= 13; i++) {
    const strides = (ref.getLayer(`conv_dw_${i}`).getConfig() as { strides: [number, number] }).strides;
    const filters = (ref.getLayer(`conv_pw_${i}`).getConfig() as { filters: number }).filters;
    m.add(tf.layers.depthwiseConv2d({ name: `block${i}_dw`, kernelSize: 3, strides, padding: 'same' }));
    m.add(tf.layers.reLU({ name: `block${i}_dw_act`, maxValue: 6 }));
    m.add(tf.layers.conv2d({ name: `block${i}_pw`, filters, kernelSize: 1, activation: 'relu6' }));
    weights.push(...fold(ref, `conv_dw_${i}`, `conv_dw_${i}_bn`, true), ...fold(ref, `conv_pw_${i}`, `conv_pw_${i}_bn`, false));
  }
  m.add(tf.layers.globalAveragePooling2d({ name: 'pool' }));
  m.add(tf.layers.dense({ name: 'classes', units: 1000, activation: 'softmax' }));
  const [pk, pb] = ref.getLayer('conv_preds').getWeights();
  weights.push(pk.reshape([pk.shape[2]!, pk.shape[3]!]), pb.clone());
  m.setWeights(weights);
  tf.dispose(weights);
  ref.dispose();
  await saveLayersPackage(m, dir);
  m.dispose();
}
