/**
 * What the Keras translation (keras-layers.ts) does once every layer has its node: the table of convolutions, each
 * prepared once at the end (conv-ops.ts), and the folds before that — a batch-norm that directly follows a linear
 * conv goes into that conv's kernel and bias (the conv's own node stays targetable), and a ZeroPadding2D in front of a
 * 'valid' conv becomes that conv's explicit padding (one pass less each way).
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormScaleShift } from './layer-tables.ts';
import { prepareConv, type ConvWeights, type Padding, type PreparedConv } from './conv-ops.ts';
import { EngineError, type NetNode } from './network.ts';
import { batchNormStats, pair, type KerasLayer, type WeightFinder } from './keras-config.ts';

const gammaSignCache = new WeakMap<tf.Tensor, number[]>();

/**
 * The sign of each channel's γ (+1 or −1), read the first time it is asked for: the BatchNormalization entry asks
 * before any op uses γ, while its values are still on the CPU. Read later, on WebGPU, γ would already live on the GPU,
 * and tfjs reads that synchronously through a canvas — on SwiftShader it destroyed the device.
 */
export function gammaSigns(gamma: tf.Tensor): number[] {
  let signs = gammaSignCache.get(gamma);
  if (!signs) gammaSignCache.set(gamma, (signs = Array.from(gamma.dataSync(), (g) => (g < 0 ? -1 : 1))));
  return signs;
}

/** Gives every BN that follows a linear conv its own conv with the BN folded in (conv output stays targetable). */
export function foldBatchNorm(
  layers: KerasLayer[],
  nodes: NetNode[],
  w: WeightFinder,
  keep: <T extends tf.Tensor>(t: T) => T,
  convs: ConvTable,
) {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const layerByName = new Map(layers.map((l) => [l.config.name ?? l.name, l]));
  for (const bn of nodes) {
    if (bn.kind !== 'BatchNormalization' || bn.inputs.length !== 1) continue;
    const src = byName.get(bn.inputs[0]);
    const srcLayer = layerByName.get(bn.inputs[0]);
    if (!src || !srcLayer || !['Conv2D', 'DepthwiseConv2D'].includes(src.kind)) continue;
    const c = srcLayer.config;
    if (String(c.activation ?? 'linear') !== 'linear' || pair(c.dilation_rate, 1)[0] !== 1) continue;
    const bnLayer = layerByName.get(bn.name)!;
    const axis = Number(bnLayer.config.axis ?? -1);
    if (axis !== -1 && axis !== 3) continue;
    const stats = batchNormStats(bnLayer.config, bn.name, w);
    const depthwise = src.kind === 'DepthwiseConv2D';
    const kernel = w(src.name, depthwise ? 'depthwise_kernel' : 'kernel')! as tf.Tensor4D;
    const bias = c.use_bias === false ? undefined : w(src.name, 'bias', false);
    const stride = pair(c.strides, 1);
    const padding = String(c.padding) as Padding;
    const signs = stats.gamma && src.anatomy?.values ? gammaSigns(stats.gamma) : null;
    const { scale, shift } = batchNormScaleShift(stats, bias);
    // The scale multiplies each output channel of the kernel: its last axis (depthwise: the channel axis, 2).
    const [, , a, b] = kernel.shape;
    const folded = tf.tidy(() => tf.mul(kernel, scale.reshape(depthwise ? [1, 1, a, b] : [1, 1, 1, b]))) as tf.Tensor4D;
    scale.dispose();
    keep(folded);
    keep(shift);
    bn.inputs = [...src.inputs];
    bn.geometry = src.geometry;
    bn.anatomy =
      signs && src.anatomy?.values ? { ...src.anatomy, values: { ...src.anatomy.values, outputSigns: signs } } : src.anatomy;
    const spec: ConvWeights = { kernel: folded, bias: shift, depthwise, stride, padding };
    const core = convs.core(spec);
    bn.run = (x) => core(x[0]);
    convs.bind(bn.name, spec);
  }
}

/** A 'valid' conv fed by a ZeroPadding2D reads the padding's input and pads by itself (explicit padding). */
export function foldZeroPadding(nodes: NetNode[], convs: ConvTable) {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const node of nodes) {
    const spec = convs.specOf(node.name);
    const src = node.inputs.length === 1 ? byName.get(node.inputs[0]) : undefined;
    if (!spec || spec.padding !== 'valid' || !src || src.kind !== 'ZeroPadding2D' || !src.pads) continue;
    spec.padding = src.pads;
    node.inputs = [...src.inputs];
  }
}

/**
 * Convs whose weights are fixed at build time but whose padding and input may still change (folds); each is prepared
 * once at the end. `core` returns the function a node runs; `bind` records which node's output is that conv alone
 * (the folds look convs up by node; a separable conv's two halves are not bound).
 */
export class ConvTable {
  private readonly all: ConvWeights[] = [];
  private readonly prepared = new Map<ConvWeights, PreparedConv>();
  private readonly byNode = new Map<string, ConvWeights>();

  core(spec: ConvWeights): (x: tf.Tensor) => tf.Tensor4D {
    this.all.push(spec);
    return (x) => this.get(spec)(x as tf.Tensor4D);
  }

  private get(spec: ConvWeights): PreparedConv {
    const run = this.prepared.get(spec);
    if (!run) throw new EngineError('internal: a convolution ran before the network was prepared');
    return run;
  }

  /**
   * Lets every node bound to a conv alone run fused with a ReLU/ReLU6 after it (NetNode.runClipped) and compute only
   * some of its channels (NetNode.runChannels; a depthwise conv from those channels of its input: runChannelwise).
   */
  offerFusion(nodes: NetNode[]) {
    for (const node of nodes) {
      const spec = this.byNode.get(node.name);
      if (!spec) continue;
      node.runClipped = (x, cap, redirect) => this.get(spec).clipped(x[0] as tf.Tensor4D, cap, redirect);
      if (!spec.depthwise)
        node.runChannels = (x, channels, _r, cache) => this.get(spec).channels(x[0] as tf.Tensor4D, channels, cache);
      else if (spec.kernel.shape[3] === 1)
        node.runChannelwise = (x, channels, _r, cache) => this.get(spec).channelwise(x[0] as tf.Tensor4D, channels, cache);
    }
  }

  bind(nodeName: string, spec: ConvWeights) {
    this.byNode.set(nodeName, spec);
  }

  specOf(nodeName: string): ConvWeights | undefined {
    return this.byNode.get(nodeName);
  }

  prepare(keep: <T extends tf.Tensor>(t: T) => T) {
    for (const spec of this.all) this.prepared.set(spec, prepareConv(spec, keep));
  }
}
