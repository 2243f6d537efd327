/**
 * Translates a Keras layers model (TensorFlow.js "layers" format) into plain-op nodes with constant weights: one
 * table entry per layer class the fast path knows, tfjs-layers itself for any other. After every layer has its node,
 * the folds of keras-folds.ts run (batch-norm into the conv before it, zero padding into the conv after it) and the
 * convs are prepared once (conv-ops.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATIONS, activation, batchNormScaleShift, leakyRelu } from './layer-tables.ts';
import type { ConvWeights, Padding } from './conv-ops.ts';
import { batchNormStats, inboundNames, pair, weightFinder, type KerasLayer, type WeightFinder } from './keras-config.ts';
import { ConvTable, foldBatchNorm, foldZeroPadding, gammaSigns } from './keras-folds.ts';
import { clippedRelu } from './ops.ts';
import { buildWithConstants, EngineError, type NetNode, type Network, type OpDeclared, kernelValues } from './network.ts';

/** The spatial footprint of a conv with this kernel, for strides and receptive fields. */
function windowOf(kernel: tf.Tensor4D, stride: [number, number], dilation: number): NetNode['geometry'] {
  return { type: 'window', kernel: [kernel.shape[0], kernel.shape[1]], stride, dilation };
}

export function kerasToNetwork(topology: Record<string, unknown>, weights: tf.NamedTensorMap): Network {
  return buildWithConstants((constants) => buildKeras(topology, weights, constants));
}

/** What a layer's table entry gets: the layer, its inputs, and the ways to add nodes and find weights. */
interface KerasContext {
  layer: KerasLayer;
  c: KerasLayer['config'];
  name: string;
  inputs: string[];
  w: WeightFinder;
  keep: <T extends tf.Tensor>(t: T) => T;
  convs: ConvTable;
  add(
    node: Omit<NetNode, 'name' | 'inputs' | 'kind' | 'anatomy'> & Partial<Omit<NetNode, 'anatomy'>> & { anatomy?: OpDeclared },
  ): void;
  /** Adds the layer (split into pre-activation and activation when it has one); returns the node that runs `core`. */
  withActivation(core: (x: tf.Tensor) => tf.Tensor, geometry?: NetNode['geometry'], anatomy?: OpDeclared): string;
  /** The network's input node (set by InputLayer). */
  input: { name: string };
  declare(range: NonNullable<Network['declaredRange']>): void;
}

type KerasEntry = (ctx: KerasContext) => void;

/** The cap of an activation that is clippedRelu (ReLU: Infinity, ReLU6: 6), for fusing it into a conv before it. */
function clipCapOf(activationName: unknown): number | undefined {
  return activationName === 'relu' ? Infinity : activationName === 'relu6' ? 6 : undefined;
}

const passThrough: KerasEntry = ({ add }) => add({ run: (x) => x[0] });

function convEntry(depthwise: boolean): KerasEntry {
  return ({ c, name, w, convs, withActivation }) => {
    const kernel = w(name, depthwise ? 'depthwise_kernel' : 'kernel')! as tf.Tensor4D;
    const bias = c.use_bias === false ? undefined : w(name, 'bias', false);
    const stride = pair(c.strides, 1);
    const dilation = pair(c.dilation_rate, 1)[0];
    if (dilation !== 1) throw new EngineError(`layer ${name}: dilated convolution is not supported`);
    const spec: ConvWeights = { kernel, bias, depthwise, stride, padding: String(c.padding) as Padding };
    const anatomy: OpDeclared = {
      op: depthwise ? 'depthwise' : 'conv',
      kernel: [kernel.shape[0], kernel.shape[1]],
      stride,
      dilation,
      padding: spec.padding === 'same' ? 'same' : 'valid',
      weights: kernel.size,
      biases: bias?.size ?? 0,
      values: kernelValues(kernel, bias, depthwise),
    };
    convs.bind(withActivation(convs.core(spec), windowOf(kernel, stride, dilation), anatomy), spec);
  };
}

function poolEntry(max: boolean): KerasEntry {
  return ({ c, add }) => {
    const size = pair(c.pool_size, 2);
    const stride = pair(c.strides ?? c.pool_size, 2);
    const padding = String(c.padding ?? 'valid') as 'same' | 'valid';
    add({
      run: (x) =>
        max ? tf.maxPool(x[0] as tf.Tensor4D, size, stride, padding) : tf.avgPool(x[0] as tf.Tensor4D, size, stride, padding),
      geometry: { type: 'window', kernel: size, stride, dilation: 1 },
      anatomy: { op: max ? 'maxpool' : 'avgpool', kernel: size, stride, dilation: 1, padding, weights: 0, biases: 0 },
    });
  };
}

function globalPoolEntry(max: boolean): KerasEntry {
  return ({ c, add }) => {
    const keepDims = Boolean(c.keepdims);
    add({ run: (x) => (max ? tf.max(x[0], [1, 2], keepDims) : tf.mean(x[0], [1, 2], keepDims)), geometry: { type: 'global' } });
  };
}

/** One entry per Keras layer class the fast path knows; any other class runs through tfjs-layers (genericLayer). */
const KERAS_LAYERS: Record<string, KerasEntry> = {
  InputLayer: ({ name, add, input }) => {
    input.name = name;
    add({ inputs: [], run: (x) => x[0] });
  },
  Conv2D: convEntry(false),
  DepthwiseConv2D: convEntry(true),
  SeparableConv2D: ({ c, name, w, convs, withActivation }) => {
    const dk = w(name, 'depthwise_kernel')! as tf.Tensor4D;
    const pk = w(name, 'pointwise_kernel')! as tf.Tensor4D;
    const bias = c.use_bias === false ? undefined : w(name, 'bias', false);
    const stride = pair(c.strides, 1);
    const padding = String(c.padding) as Padding;
    const depthwise = convs.core({ kernel: dk, depthwise: true, stride, padding });
    const pointwise = convs.core({ kernel: pk, bias, depthwise: false, stride: [1, 1], padding: 'valid' });
    withActivation((x) => pointwise(depthwise(x)), windowOf(dk, stride, 1), {
      op: 'separable',
      kernel: [dk.shape[0], dk.shape[1]],
      stride,
      dilation: 1,
      padding: padding === 'same' ? 'same' : 'valid',
      weights: dk.size + pk.size,
      biases: bias?.size ?? 0,
      depthwiseWeights: dk.size,
    });
  },
  Dense: ({ c, name, w, withActivation }) => {
    const kernel = w(name, 'kernel')! as tf.Tensor2D;
    const bias = c.use_bias === false ? undefined : w(name, 'bias', false);
    withActivation(
      (x) => {
        const flat = x.rank > 2 ? x.reshape([x.shape[0], -1]) : x;
        const y = tf.matMul(flat as tf.Tensor2D, kernel);
        return bias ? tf.add(y, bias) : y;
      },
      { type: 'global' },
      {
        op: 'dense',
        kernel: [1, 1],
        stride: [1, 1],
        dilation: 1,
        padding: 'valid',
        weights: kernel.size,
        biases: bias?.size ?? 0,
      },
    );
  },
  BatchNormalization: ({ c, name, w, keep, add }) => {
    const stats = batchNormStats(c, name, w);
    if (stats.gamma) gammaSigns(stats.gamma); // read now, before an op moves γ to the GPU (see gammaSigns)
    const { scale, shift } = batchNormScaleShift(stats);
    keep(scale);
    keep(shift);
    add({ run: (x) => tf.add(tf.mul(x[0], scale), shift) });
  },
  Activation: ({ c, name, add }) => {
    const act = activation(String(c.activation), `layer ${name}`) ?? ((t) => t);
    add({
      kind: c.activation === 'softmax' ? 'Softmax' : 'Activation',
      run: (x, r) => act(x[0], r),
      clipCap: clipCapOf(c.activation),
    });
  },
  ReLU: ({ c, add }) => {
    const cap = c.max_value == null ? Infinity : Number(c.max_value);
    const slope = Number(c.negative_slope ?? 0);
    if (slope !== 0) add({ run: (x) => tf.leakyRelu(x[0], slope) });
    else add({ run: (x, r) => clippedRelu(x[0], cap, r), clipCap: cap });
  },
  LeakyReLU: ({ c, add }) => {
    const act = leakyRelu(Number(c.alpha ?? c.negative_slope ?? 0.3));
    add({ run: (x, r) => act(x[0], r) });
  },
  ELU: ({ add }) => add({ run: (x, r) => ACTIVATIONS.elu!(x[0], r) }),
  Softmax: ({ add }) => add({ run: (x, r) => ACTIVATIONS.softmax!(x[0], r) }),
  ZeroPadding2D: ({ c, add }) => {
    const p = c.padding as unknown;
    let pads: [[number, number], [number, number]];
    if (typeof p === 'number')
      pads = [
        [p, p],
        [p, p],
      ];
    else if (Array.isArray(p) && Array.isArray(p[0])) pads = [pair(p[0], 0), pair(p[1], 0)];
    else pads = [pair((p as number[])[0], 0), pair((p as number[])[1], 0)].map((v) => [v[0], v[0]]) as never;
    add({ run: (x) => tf.pad(x[0], [[0, 0], pads[0], pads[1], [0, 0]]), pads });
  },
  MaxPooling2D: poolEntry(true),
  AveragePooling2D: poolEntry(false),
  GlobalAveragePooling2D: globalPoolEntry(false),
  GlobalMaxPooling2D: globalPoolEntry(true),
  Flatten: ({ add }) => add({ run: (x) => x[0].reshape([x[0].shape[0], -1]) }),
  Reshape: ({ c, add }) => {
    const target = (c.target_shape as number[]).map(Number);
    add({ run: (x) => x[0].reshape([x[0].shape[0], ...target]) });
  },
  // Training-time only: identities at inference.
  Dropout: passThrough,
  SpatialDropout2D: passThrough,
  GaussianNoise: passThrough,
  GaussianDropout: passThrough,
  ActivityRegularization: passThrough,
  Add: ({ add }) => add({ run: (x) => x.reduce((a, b) => tf.add(a, b)) }),
  Multiply: ({ add }) => add({ run: (x) => x.reduce((a, b) => tf.mul(a, b)) }),
  Concatenate: ({ c, add }) => add({ run: (x) => tf.concat(x, Number(c.axis ?? -1)) }),
  Rescaling: ({ c, name, inputs, add, input, declare }) => {
    const scale = Number(c.scale ?? 1);
    const offset = Number(c.offset ?? 0);
    add({ run: (x) => tf.add(tf.mul(x[0], scale), offset) });
    // On the input, a small scale (1/255, 1/127.5 as Keras applications built with their preprocessing have)
    // means the model takes raw pixel values.
    if (inputs.length === 1 && inputs[0] === input.name && scale > 0 && scale < 0.1) {
      const shift = offset ? ` ${offset < 0 ? '−' : '+'} ${Math.abs(offset)}` : '';
      declare({
        range: [0, 255],
        why: `its layer ${name} rescales the input itself (×${+scale.toPrecision(4)}${shift}), so it takes pixel values`,
      });
    }
  },
};

function buildKeras(topology: Record<string, unknown>, weights: tf.NamedTensorMap, constants: tf.Tensor[]): Network {
  const modelConfig = (topology.model_config ?? topology) as { class_name?: string; config?: unknown };
  const cfg = modelConfig.config as { layers?: KerasLayer[]; output_layers?: unknown[] } | KerasLayer[] | undefined;
  const layers: KerasLayer[] | undefined = Array.isArray(cfg) ? cfg : cfg?.layers;
  if (!layers || !layers.length) throw new EngineError('model.json: the topology lists no layers');
  const sequential = modelConfig.class_name === 'Sequential' || Array.isArray(cfg);

  const w = weightFinder(weights);
  const keep = <T extends tf.Tensor>(t: T): T => {
    constants.push(t);
    return t;
  };
  const nodes: NetNode[] = [];
  const convs = new ConvTable();
  const input = { name: '' };
  let prev = '';
  let declaredRange: Network['declaredRange'];

  if (sequential && layers[0].class_name !== 'InputLayer') {
    input.name = 'input';
    nodes.push({ name: input.name, kind: 'InputLayer', inputs: [], run: (x) => x[0] });
    prev = input.name;
  }

  for (const layer of layers) {
    const c = layer.config;
    const name = c.name ?? layer.name!;
    const inputs = sequential ? (prev ? [prev] : []) : inboundNames(layer);
    const declared = (a?: OpDeclared) => a && { ...a, source: name, layerClass: layer.class_name };
    const add: KerasContext['add'] = (node) => {
      nodes.push({ name, kind: layer.class_name, inputs, ...node, anatomy: declared(node.anatomy) });
      prev = node.name ?? name;
    };
    const withActivation: KerasContext['withActivation'] = (core, geometry, anatomy) => {
      const act = activation(String(c.activation ?? 'linear'), `layer ${name}`);
      if (!act) {
        add({ run: (x) => core(x[0]), geometry, anatomy });
        return name;
      }
      // Split into "<name>/preact" and the activation, so the pre-activation (e.g. logits) can be targeted.
      nodes.push({
        name: `${name}/preact`,
        kind: layer.class_name,
        inputs,
        run: (x) => core(x[0]),
        geometry,
        anatomy: declared(anatomy),
      });
      const kind = c.activation === 'softmax' ? 'Softmax' : 'Activation';
      nodes.push({ name, kind, inputs: [`${name}/preact`], run: (x, r) => act(x[0], r), clipCap: clipCapOf(c.activation) });
      prev = name;
      return `${name}/preact`;
    };
    const ctx: KerasContext = {
      layer,
      c,
      name,
      inputs,
      w,
      keep,
      convs,
      add,
      withActivation,
      input,
      declare: (r) => (declaredRange = r),
    };
    const entry = Object.hasOwn(KERAS_LAYERS, layer.class_name) ? KERAS_LAYERS[layer.class_name] : null;
    if (entry) entry(ctx);
    else add({ kind: `${layer.class_name} (generic)`, run: genericLayer(layer, w, keep) });
  }
  if (!input.name) throw new EngineError('model.json: the model has no input layer');

  foldBatchNorm(layers, nodes, w, keep, convs);
  foldZeroPadding(nodes, convs);
  convs.prepare(keep);
  convs.offerFusion(nodes);

  const outputName = nodes[nodes.length - 1].name;
  return { inputName: input.name, nodes, outputName, logitsName: findLogits(nodes, outputName), constants, declaredRange };
}

/** The pre-softmax node on the way to the output; the output itself when the model ends without a softmax. */
function findLogits(nodes: NetNode[], outputName: string): string | undefined {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  let cur = byName.get(outputName);
  for (let guard = 0; cur && guard < 8; guard++) {
    if (cur.kind === 'Softmax') return cur.inputs[0];
    if (cur.inputs.length !== 1) break;
    cur = byName.get(cur.inputs[0]);
  }
  return outputName;
}

/**
 * The slower but general path for a layer class the fast path does not know: tfjs-layers builds the layer from its
 * config, its weights are set from the manifest, and it runs through `apply` (its own ops, its own gradients).
 */
function genericLayer(layer: KerasLayer, w: WeightFinder, keep: <T extends tf.Tensor>(t: T) => T): NetNode['run'] {
  const name = layer.config.name ?? layer.name!;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[layer.class_name];
  if (!entry) throw new EngineError(`layer ${name}: layer type ${layer.class_name} is not supported`);
  const [cls, fromConfig] = entry;
  const obj = fromConfig(cls, layer.config as tf.serialization.ConfigDict) as unknown as tf.layers.Layer;
  let built = false;
  return (x) => {
    const input = x.length === 1 ? x[0] : x;
    if (!built) {
      // Building creates the layer's variables; they live as long as the network (disposed with its constants).
      tf.tidy(() => void obj.apply(input));
      try {
        const values = obj.weights.map((v) => {
          const param = v.originalName.split('/').pop()!.replace(/:\d+$/, '');
          return w(name, param)!;
        });
        obj.setWeights(values);
      } catch (e) {
        // A weight the manifest lacks: the variables building made are not the network's yet, so they go here.
        for (const v of obj.weights) v.read().dispose();
        throw e;
      }
      for (const v of obj.weights) keep(v.read());
      built = true;
    }
    return obj.apply(input, { training: false }) as tf.Tensor;
  };
}
