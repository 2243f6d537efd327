/**
 * Translates a Keras layers model (TensorFlow.js "layers" format) into plain-op nodes with constant weights.
 * Batch-norm that directly follows a linear conv is folded into that conv's kernel and bias; the conv node itself
 * stays available so its own output can still be targeted. A ZeroPadding2D in front of a 'valid' conv becomes that
 * conv's own explicit padding (one pass less each way). Convs are prepared once, after these folds (ops.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { clippedRelu, prepareConv, type ConvWeights, type Padding } from './ops.ts';
import { buildWithConstants, EngineError, type NetNode, type Network } from './network.ts';

interface KerasLayer {
  class_name: string;
  name?: string;
  config: Record<string, unknown> & { name: string };
  inbound_nodes?: unknown[];
}

/** The spatial footprint of a conv with this kernel, for strides and receptive fields. */
function windowOf(kernel: tf.Tensor4D, stride: [number, number], dilation: number): NetNode['geometry'] {
  return { type: 'window', kernel: [kernel.shape[0], kernel.shape[1]], stride, dilation };
}

function pair(v: unknown, fallback: number): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
  if (typeof v === 'number') return [v, v];
  return [fallback, fallback];
}

function inboundNames(layer: KerasLayer): string[] {
  const nodes = layer.inbound_nodes ?? [];
  if (!nodes.length) return [];
  const first = nodes[0] as unknown;
  // Keras 2: [[["name", 0, 0, {}], ...]]; Keras 3 style: [{args: [{config: {keras_history: [name, 0, 0]}}]}].
  if (Array.isArray(first)) return (first as unknown[][]).map((e) => String(e[0]));
  const args = (first as { args?: unknown[] }).args ?? [];
  const names: string[] = [];
  const visit = (a: unknown) => {
    if (Array.isArray(a)) a.forEach(visit);
    else if (a && typeof a === 'object') {
      const hist = (a as { config?: { keras_history?: unknown[] } }).config?.keras_history;
      if (hist) names.push(String(hist[0]));
    }
  };
  visit(args);
  return names;
}

export function activationFn(name: string, layerName: string): ((x: tf.Tensor, redirect: boolean) => tf.Tensor) | null {
  switch (name) {
    case 'linear':
    case undefined:
    case null:
      return null;
    case 'relu':
      return (x, r) => clippedRelu(x, Infinity, r);
    case 'relu6':
      return (x, r) => clippedRelu(x, 6, r);
    case 'sigmoid':
      return (x) => tf.sigmoid(x);
    case 'hard_sigmoid':
      return (x) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
    case 'tanh':
      return (x) => tf.tanh(x);
    case 'elu':
      return (x) => tf.elu(x);
    case 'selu':
      return (x) => tf.selu(x);
    case 'softplus':
      return (x) => tf.softplus(x);
    case 'swish':
    case 'silu':
      return (x) => tf.mul(x, tf.sigmoid(x));
    case 'softmax':
      return (x) => tf.softmax(x);
    default:
      throw new EngineError(`layer ${layerName}: activation "${name}" is not supported`);
  }
}

/** Weight lookup tolerant of the naming variants converters produce ("conv1/kernel", "model/conv1/kernel:0"). */
function weightFinder(weights: tf.NamedTensorMap) {
  const names = Object.keys(weights);
  return (layer: string, param: string, required = true): tf.Tensor | undefined => {
    const want = `${layer}/${param}`;
    const hit =
      weights[want] ??
      weights[`${want}:0`] ??
      weights[names.find((n) => n.endsWith(`/${want}`) || n.endsWith(`/${want}:0`)) ?? ''];
    if (!hit && required) throw new EngineError(`layer ${layer}: weight ${param} is missing from the weights manifest`);
    return hit;
  };
}

export function kerasToNetwork(topology: Record<string, unknown>, weights: tf.NamedTensorMap): Network {
  return buildWithConstants((constants) => buildKeras(topology, weights, constants));
}

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
  let inputName = '';
  let prev = '';
  let declaredRange: Network['declaredRange'];

  if (sequential && layers[0].class_name !== 'InputLayer') {
    inputName = 'input';
    nodes.push({ name: inputName, kind: 'InputLayer', inputs: [], run: (x) => x[0] });
    prev = inputName;
  }

  for (const layer of layers) {
    const c = layer.config;
    const name = c.name ?? layer.name!;
    const inputs = sequential ? (prev ? [prev] : []) : inboundNames(layer);
    const add = (node: Omit<NetNode, 'name' | 'inputs' | 'kind'> & Partial<NetNode>) => {
      nodes.push({ name, kind: layer.class_name, inputs, ...node });
      prev = node.name ?? name;
    };
    /** Adds the layer (split into pre-activation and activation when it has one); returns the node that runs `core`. */
    const withActivation = (core: (x: tf.Tensor) => tf.Tensor, geometry?: NetNode['geometry']): string => {
      const act = activationFn(String(c.activation ?? 'linear'), name);
      if (!act) {
        add({ run: (x) => core(x[0]), geometry });
        return name;
      }
      // Split into "<name>/preact" and the activation, so the pre-activation (e.g. logits) can be targeted.
      nodes.push({ name: `${name}/preact`, kind: layer.class_name, inputs, run: (x) => core(x[0]), geometry });
      const kind = c.activation === 'softmax' ? 'Softmax' : 'Activation';
      nodes.push({ name, kind, inputs: [`${name}/preact`], run: (x, r) => act(x[0], r) });
      prev = name;
      return `${name}/preact`;
    };
    switch (layer.class_name) {
      case 'InputLayer':
        inputName = name;
        add({ inputs: [], run: (x) => x[0] });
        break;
      case 'Conv2D': {
        const kernel = w(name, 'kernel')! as tf.Tensor4D;
        const bias = c.use_bias === false ? undefined : w(name, 'bias', false);
        const stride = pair(c.strides, 1);
        const dilation = pair(c.dilation_rate, 1)[0];
        if (dilation !== 1) throw new EngineError(`layer ${name}: dilated convolution is not supported`);
        const spec: ConvWeights = { kernel, bias, depthwise: false, stride, padding: String(c.padding) as Padding };
        convs.bind(withActivation(convs.core(spec), windowOf(kernel, stride, dilation)), spec);
        break;
      }
      case 'DepthwiseConv2D': {
        const kernel = w(name, 'depthwise_kernel')! as tf.Tensor4D;
        const bias = c.use_bias === false ? undefined : w(name, 'bias', false);
        const stride = pair(c.strides, 1);
        const spec: ConvWeights = { kernel, bias, depthwise: true, stride, padding: String(c.padding) as Padding };
        convs.bind(withActivation(convs.core(spec), windowOf(kernel, stride, 1)), spec);
        break;
      }
      case 'SeparableConv2D': {
        const dk = w(name, 'depthwise_kernel')! as tf.Tensor4D;
        const pk = w(name, 'pointwise_kernel')! as tf.Tensor4D;
        const bias = c.use_bias === false ? undefined : w(name, 'bias', false);
        const stride = pair(c.strides, 1);
        const padding = String(c.padding) as Padding;
        const depthwise = convs.core({ kernel: dk, depthwise: true, stride, padding });
        const pointwise = convs.core({ kernel: pk, bias, depthwise: false, stride: [1, 1], padding: 'valid' });
        withActivation((x) => pointwise(depthwise(x)), windowOf(dk, stride, 1));
        break;
      }
      case 'Dense': {
        const kernel = w(name, 'kernel')! as tf.Tensor2D;
        const bias = c.use_bias === false ? undefined : w(name, 'bias', false);
        withActivation(
          (x) => {
            const flat = x.rank > 2 ? x.reshape([x.shape[0], -1]) : x;
            const y = tf.matMul(flat as tf.Tensor2D, kernel);
            return bias ? tf.add(y, bias) : y;
          },
          { type: 'global' },
        );
        break;
      }
      case 'BatchNormalization': {
        const eps = Number(c.epsilon ?? 1e-3);
        const gamma = c.scale === false ? undefined : w(name, 'gamma');
        const beta = c.center === false ? undefined : w(name, 'beta');
        const mean = w(name, 'moving_mean')!;
        const variance = w(name, 'moving_variance')!;
        const scale = keep(tf.tidy(() => tf.div(gamma ?? tf.onesLike(mean), tf.sqrt(tf.add(variance, eps)))));
        const shift = keep(tf.tidy(() => tf.sub(beta ?? tf.zerosLike(mean), tf.mul(mean, scale))));
        add({ run: (x) => tf.add(tf.mul(x[0], scale), shift) });
        break;
      }
      case 'Activation':
        add({
          kind: c.activation === 'softmax' ? 'Softmax' : 'Activation',
          run: (x, r) => (activationFn(String(c.activation), name) ?? ((t) => t))(x[0], r),
        });
        break;
      case 'ReLU': {
        const cap = c.max_value == null ? Infinity : Number(c.max_value);
        const slope = Number(c.negative_slope ?? 0);
        if (slope !== 0) add({ run: (x) => tf.leakyRelu(x[0], slope) });
        else add({ run: (x, r) => clippedRelu(x[0], cap, r) });
        break;
      }
      case 'LeakyReLU':
        add({ run: (x) => tf.leakyRelu(x[0], Number(c.alpha ?? c.negative_slope ?? 0.3)) });
        break;
      case 'ELU':
        add({ run: (x) => tf.elu(x[0]) });
        break;
      case 'Softmax':
        add({ run: (x) => tf.softmax(x[0]) });
        break;
      case 'ZeroPadding2D': {
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
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const size = pair(c.pool_size, 2);
        const stride = pair(c.strides ?? c.pool_size, 2);
        const padding = String(c.padding ?? 'valid') as 'same' | 'valid';
        const max = layer.class_name === 'MaxPooling2D';
        add({
          run: (x) =>
            max ? tf.maxPool(x[0] as tf.Tensor4D, size, stride, padding) : tf.avgPool(x[0] as tf.Tensor4D, size, stride, padding),
          geometry: { type: 'window', kernel: size, stride, dilation: 1 },
        });
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        const keepDims = Boolean(c.keepdims);
        const max = layer.class_name === 'GlobalMaxPooling2D';
        add({
          run: (x) => (max ? tf.max(x[0], [1, 2], keepDims) : tf.mean(x[0], [1, 2], keepDims)),
          geometry: { type: 'global' },
        });
        break;
      }
      case 'Flatten':
        add({ run: (x) => x[0].reshape([x[0].shape[0], -1]) });
        break;
      case 'Reshape': {
        const target = (c.target_shape as number[]).map(Number);
        add({ run: (x) => x[0].reshape([x[0].shape[0], ...target]) });
        break;
      }
      case 'Dropout':
      case 'SpatialDropout2D':
      case 'GaussianNoise':
      case 'GaussianDropout':
      case 'ActivityRegularization':
        add({ run: (x) => x[0] });
        break;
      case 'Add':
        add({ run: (x) => x.reduce((a, b) => tf.add(a, b)) });
        break;
      case 'Multiply':
        add({ run: (x) => x.reduce((a, b) => tf.mul(a, b)) });
        break;
      case 'Concatenate':
        add({ run: (x) => tf.concat(x, Number(c.axis ?? -1)) });
        break;
      case 'Rescaling': {
        const scale = Number(c.scale ?? 1);
        const offset = Number(c.offset ?? 0);
        add({ run: (x) => tf.add(tf.mul(x[0], scale), offset) });
        // On the input, a small scale (1/255, 1/127.5 as Keras applications built with their preprocessing have)
        // means the model takes raw pixel values.
        if (inputs.length === 1 && inputs[0] === inputName && scale > 0 && scale < 0.1) {
          const shift = offset ? ` ${offset < 0 ? '−' : '+'} ${Math.abs(offset)}` : '';
          declaredRange = {
            range: [0, 255],
            why: `its layer ${name} rescales the input itself (×${+scale.toPrecision(4)}${shift}), so it takes pixel values`,
          };
        }
        break;
      }
      default:
        add({ kind: `${layer.class_name} (generic)`, run: genericLayer(layer, w, keep) });
    }
  }
  if (!inputName) throw new EngineError('model.json: the model has no input layer');

  foldBatchNorm(layers, nodes, weights, keep, convs);
  foldZeroPadding(nodes, convs);
  convs.prepare(keep);

  const outputName = nodes[nodes.length - 1].name;
  return { inputName, nodes, outputName, logitsName: findLogits(nodes, outputName), constants, declaredRange };
}

/** Gives every BN that follows a linear conv its own conv with the BN folded in (conv output stays targetable). */
function foldBatchNorm(
  layers: KerasLayer[],
  nodes: NetNode[],
  weights: tf.NamedTensorMap,
  keep: <T extends tf.Tensor>(t: T) => T,
  convs: ConvTable,
) {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const layerByName = new Map(layers.map((l) => [l.config.name ?? l.name, l]));
  const w = weightFinder(weights);
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
    const eps = Number(bnLayer.config.epsilon ?? 1e-3);
    const gamma = bnLayer.config.scale === false ? undefined : w(bn.name, 'gamma');
    const beta = bnLayer.config.center === false ? undefined : w(bn.name, 'beta');
    const mean = w(bn.name, 'moving_mean')!;
    const variance = w(bn.name, 'moving_variance')!;
    const depthwise = src.kind === 'DepthwiseConv2D';
    const kernel = w(src.name, depthwise ? 'depthwise_kernel' : 'kernel')! as tf.Tensor4D;
    const bias = c.use_bias === false ? undefined : w(src.name, 'bias', false);
    const stride = pair(c.strides, 1);
    const padding = String(c.padding) as Padding;
    const [folded, shift] = tf.tidy(() => {
      const scale = tf.div(gamma ?? tf.onesLike(mean), tf.sqrt(tf.add(variance, eps)));
      const [kh, kw, a, b] = kernel.shape;
      const k = depthwise ? tf.mul(kernel, scale.reshape([1, 1, a, b])) : tf.mul(kernel, scale.reshape([1, 1, 1, b]));
      const s = tf.add(tf.mul(tf.sub(bias ?? tf.zerosLike(mean), mean), scale), beta ?? tf.zerosLike(mean));
      void kh;
      void kw;
      return [k as tf.Tensor4D, s];
    });
    keep(folded);
    keep(shift);
    bn.inputs = [...src.inputs];
    bn.geometry = src.geometry;
    const spec: ConvWeights = { kernel: folded, bias: shift, depthwise, stride, padding };
    const core = convs.core(spec);
    bn.run = (x) => core(x[0]);
    convs.bind(bn.name, spec);
  }
}

/**
 * Convs whose weights are fixed at build time but whose padding and input may still change (folds); each is prepared
 * once at the end. `core` returns the function a node runs; `bind` records which node's output is that conv alone
 * (the folds look convs up by node; a separable conv's two halves are not bound).
 */
class ConvTable {
  private readonly all: ConvWeights[] = [];
  private readonly prepared = new Map<ConvWeights, (x: tf.Tensor4D) => tf.Tensor4D>();
  private readonly byNode = new Map<string, ConvWeights>();

  core(spec: ConvWeights): (x: tf.Tensor) => tf.Tensor4D {
    this.all.push(spec);
    return (x) => {
      const run = this.prepared.get(spec);
      if (!run) throw new EngineError('internal: a convolution ran before the network was prepared');
      return run(x as tf.Tensor4D);
    };
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

/** A 'valid' conv fed by a ZeroPadding2D reads the padding's input and pads by itself (explicit padding). */
function foldZeroPadding(nodes: NetNode[], convs: ConvTable) {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const node of nodes) {
    const spec = convs.specOf(node.name);
    const src = node.inputs.length === 1 ? byName.get(node.inputs[0]) : undefined;
    if (!spec || spec.padding !== 'valid' || !src || src.kind !== 'ZeroPadding2D' || !src.pads) continue;
    spec.padding = src.pads;
    node.inputs = [...src.inputs];
  }
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
function genericLayer(
  layer: KerasLayer,
  w: ReturnType<typeof weightFinder>,
  keep: <T extends tf.Tensor>(t: T) => T,
): NetNode['run'] {
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
