/**
 * Translates a TensorFlow.js graph model (a frozen GraphDef with its weights) into plain-op nodes.
 * Covers the ops image classifiers exported through tf-converter or TF-Hub use; any other op is reported by name.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATIONS, batchNormScaleShift, GRAPH_ACTIVATIONS, leakyRelu, type Activate } from './layer-tables.ts';
import { conv, convChannels, depthwiseChannels, depthwiseConv } from './conv-ops.ts';
import { channelSlice, type SliceCache } from './slice-cache.ts';
import {
  buildWithConstants,
  EngineError,
  type Geometry,
  type NetNode,
  type Network,
  type OpDeclared,
  kernelValues,
} from './network.ts';

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<
    string,
    { s?: string; i?: string; f?: number; b?: boolean; list?: { i?: string[]; s?: string[] }; shape?: unknown; tensor?: unknown }
  >;
}

const decodeString = (s: string | undefined) => (s === undefined ? '' : atob(s));

function ints(node: GraphNode, key: string): number[] | undefined {
  return node.attr?.[key]?.list?.i?.map(Number);
}

/** Strips control-input markers and output indices: "^a" and "a:0" both mean node "a". */
const inputName = (s: string) => s.replace(/^\^/, '').replace(/:\d+$/, '');

export function graphToNetwork(topology: Record<string, unknown>, weights: tf.NamedTensorMap): Network {
  return buildWithConstants((constants) => buildGraph(topology, weights, constants));
}

/** What an op's table entry gets: the graph node, its inputs, and the ways to add a node and read constants. */
interface GraphContext {
  g: GraphNode;
  /** Every data input (constants included), by node name. */
  all: string[];
  constArg(k: number): tf.Tensor;
  constValue(name: string): tf.Tensor;
  isConstArg(k: number): boolean;
  pad: 'same' | 'valid';
  stride: [number, number];
  /** Adds this graph node as a network node fed by its non-constant inputs. */
  node(
    run: NetNode['run'],
    geometry?: Geometry,
    pads?: NetNode['pads'],
    anatomy?: OpDeclared,
    /** How the node computes only some channels (partial-channels.ts), where it can. */
    partial?: Pick<NetNode, 'runChannels' | 'runChannelwise'>,
  ): void;
  constants: tf.Tensor[];
  input: { name: string };
}

type GraphEntry = (ctx: GraphContext) => void;

const window = (kernel: tf.Tensor, stride: [number, number]): Geometry => ({
  type: 'window',
  kernel: [kernel.shape[0], kernel.shape[1] as number],
  stride,
  dilation: 1,
});

/** Element-wise binary op where either side may be a constant. */
const binary =
  (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): GraphEntry =>
  ({ isConstArg, constArg, node }) => {
    const c0 = isConstArg(0) ? constArg(0) : null;
    const c1 = isConstArg(1) ? constArg(1) : null;
    const c = c0 ?? c1;
    // With one constant that is a scalar or one value per channel (a batch norm's offset), channel by channel.
    const perChannel = c !== null && !(c0 && c1) && c.shape.slice(0, -1).every((d) => d === 1);
    const sliceOf = (channels: number[], cache: SliceCache) => (c!.size === 1 ? c! : channelSlice(cache, c!, channels));
    node(
      (x) => f(c0 ?? x[0], c1 ?? x[c0 ? 0 : 1]),
      undefined,
      undefined,
      undefined,
      perChannel
        ? {
            runChannelwise: (x, channels, _r, cache) =>
              c0 ? f(sliceOf(channels, cache), x[0]) : f(x[0], sliceOf(channels, cache)),
          }
        : undefined,
    );
  };

const identity: GraphEntry = ({ node }) => node((x) => x[0]);

/** An activation op, from the table both translators share. */
const activationOp =
  (name: string): GraphEntry =>
  ({ node }) => {
    const act = ACTIVATIONS[name]!;
    const run: NetNode['run'] = (x, r) => act(x[0], r);
    // Every activation but softmax acts channel by channel.
    node(run, undefined, undefined, undefined, name === 'softmax' ? undefined : { runChannelwise: (x, _c, r) => run(x, r) });
  };

/** The activation a fused op ends with (tf-converter's fused_ops), or null. */
function fusedActivation(g: GraphNode, fused: string[]): Activate | null {
  const act = fused.find((f) => f !== 'BiasAdd');
  if (act === undefined) return null;
  if (act === 'LeakyRelu') return leakyRelu(Number(g.attr?.leakyrelu_alpha?.f ?? 0.2));
  const name = GRAPH_ACTIVATIONS[act];
  if (!name || act === 'Softmax') throw new EngineError(`graph node ${g.name}: fused activation ${act} is not supported`);
  return ACTIVATIONS[name];
}

/** The inspector's record of a conv, depthwise conv or matmul node. */
function anatomyOf(
  op: 'conv' | 'depthwise' | 'dense',
  kernel: tf.Tensor,
  stride: [number, number],
  padding: 'same' | 'valid',
  bias?: tf.Tensor | null,
): OpDeclared {
  const k: [number, number] = op === 'dense' ? [1, 1] : [kernel.shape[0], kernel.shape[1] ?? 1];
  const values = op === 'dense' ? undefined : kernelValues(kernel, bias, op === 'depthwise');
  return { op, kernel: k, stride, dilation: 1, padding, weights: kernel.size, biases: bias?.size ?? 0, values };
}

const pool =
  (max: boolean): GraphEntry =>
  ({ g, node, stride, pad }) => {
    const k4 = ints(g, 'ksize') ?? [1, 2, 2, 1];
    const size: [number, number] = [k4[1], k4[2]];
    node(
      (x) => (max ? tf.maxPool(x[0] as tf.Tensor4D, size, stride, pad) : tf.avgPool(x[0] as tf.Tensor4D, size, stride, pad)),
      { type: 'window', kernel: size, stride, dilation: 1 },
      undefined,
      { op: max ? 'maxpool' : 'avgpool', kernel: size, stride, dilation: 1, padding: pad, weights: 0, biases: 0 },
    );
  };

const reduce =
  (f: typeof tf.mean): GraphEntry =>
  ({ g, constArg, node }) => {
    const axes = Array.from(constArg(1).dataSync()).map(Number);
    const keep = Boolean(g.attr?.keep_dims?.b);
    const spatial = axes.includes(1) && axes.includes(2);
    node((x) => f(x[0], axes, keep), spatial ? { type: 'global' } : undefined);
  };

const fusedOp: GraphEntry = ({ g, all, constArg, constValue, node, stride, pad }) => {
  // tf-converter's fused ops: conv / depthwise / matmul, then BiasAdd, then an activation.
  const fused = (g.attr?.fused_ops?.list?.s ?? []).map(decodeString);
  const kernel = constArg(1);
  const bias = fused.includes('BiasAdd') && all[2] ? constValue(all[2]) : null;
  const act = fusedActivation(g, fused);
  /** A slice's bias and activation. */
  const finish = (y: tf.Tensor, channels: number[], r: boolean, cache: SliceCache | undefined) => {
    const biased = bias ? tf.add(y, channelSlice(cache, bias, channels)) : y;
    return act ? act(biased, r) : biased;
  };
  const core =
    g.op === '_FusedMatMul'
      ? (x: tf.Tensor) =>
          tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D, Boolean(g.attr?.transpose_a?.b), Boolean(g.attr?.transpose_b?.b))
      : g.op === '_FusedConv2D'
        ? (x: tf.Tensor) => conv(x as tf.Tensor4D, kernel as tf.Tensor4D, stride, pad)
        : (x: tf.Tensor) => depthwiseConv(x as tf.Tensor4D, kernel as tf.Tensor4D, stride, pad);
  node(
    (x, r) => {
      const y = bias ? tf.add(core(x[0]), bias) : core(x[0]);
      return act ? act(y, r) : y;
    },
    g.op === '_FusedMatMul' ? { type: 'global' } : window(kernel, stride),
    undefined,
    anatomyOf(g.op === '_FusedMatMul' ? 'dense' : g.op === '_FusedConv2D' ? 'conv' : 'depthwise', kernel, stride, pad, bias),
    // Some channels: the same slice of the kernel and bias (the activation acts per channel).
    g.op === '_FusedConv2D'
      ? {
          runChannels: (x, channels, r, cache) =>
            finish(convChannels(x[0] as tf.Tensor4D, kernel as tf.Tensor4D, stride, pad, channels, cache), channels, r, cache),
        }
      : g.op === 'FusedDepthwiseConv2dNative' && kernel.shape[3] === 1
        ? {
            runChannelwise: (x, channels, r, cache) =>
              finish(
                depthwiseChannels(x[0] as tf.Tensor4D, kernel as tf.Tensor4D, stride, pad, channels, cache),
                channels,
                r,
                cache,
              ),
          }
        : undefined,
  );
};

const batchNorm: GraphEntry = ({ g, constArg, node, constants }) => {
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map(constArg);
  const { scale, shift } = batchNormScaleShift({ gamma, beta, mean, variance, epsilon: Number(g.attr?.epsilon?.f ?? 1e-3) });
  constants.push(scale, shift);
  node((x) => tf.add(tf.mul(x[0], scale), shift));
};

/** One entry per graph op the engine knows; any other op is reported by name. */
const GRAPH_OPS: Record<string, GraphEntry> = {
  Placeholder: ({ node, input, g }) => {
    // The first placeholder is the image; a graph with more inputs is not an image classifier this engine runs.
    if (input.name) return;
    input.name = g.name;
    node((x) => x[0]);
  },
  Identity: identity,
  StopGradient: identity,
  Conv2D: ({ g, constArg, node, stride, pad }) => {
    const kernel = constArg(1) as tf.Tensor4D;
    if ((ints(g, 'dilations') ?? [1, 1, 1, 1]).some((d) => d !== 1))
      throw new EngineError(`graph node ${g.name}: dilated convolution is not supported`);
    node(
      (x) => conv(x[0] as tf.Tensor4D, kernel, stride, pad),
      window(kernel, stride),
      undefined,
      anatomyOf('conv', kernel, stride, pad),
      { runChannels: (x, channels, _r, cache) => convChannels(x[0] as tf.Tensor4D, kernel, stride, pad, channels, cache) },
    );
  },
  DepthwiseConv2dNative: ({ constArg, node, stride, pad }) => {
    const kernel = constArg(1) as tf.Tensor4D;
    node(
      (x) => depthwiseConv(x[0] as tf.Tensor4D, kernel, stride, pad),
      window(kernel, stride),
      undefined,
      anatomyOf('depthwise', kernel, stride, pad),
      kernel.shape[3] === 1
        ? {
            runChannelwise: (x, channels, _r, cache) =>
              depthwiseChannels(x[0] as tf.Tensor4D, kernel, stride, pad, channels, cache),
          }
        : undefined,
    );
  },
  _FusedConv2D: fusedOp,
  FusedDepthwiseConv2dNative: fusedOp,
  _FusedMatMul: fusedOp,
  FusedBatchNorm: batchNorm,
  FusedBatchNormV3: batchNorm,
  Add: binary(tf.add),
  AddV2: binary(tf.add),
  BiasAdd: binary(tf.add),
  Sub: binary(tf.sub),
  Mul: binary(tf.mul),
  RealDiv: binary(tf.div),
  Maximum: binary(tf.maximum),
  Minimum: binary(tf.minimum),
  ...Object.fromEntries(Object.entries(GRAPH_ACTIVATIONS).map(([op, name]) => [op, activationOp(name)])),
  LeakyRelu: ({ g, node }) => {
    const act = leakyRelu(Number(g.attr?.alpha?.f ?? 0.2));
    node((x, r) => act(x[0], r));
  },
  AvgPool: pool(false),
  MaxPool: pool(true),
  Mean: reduce(tf.mean),
  Max: reduce(tf.max),
  Squeeze: ({ g, node }) => {
    const dims = ints(g, 'squeeze_dims');
    node((x) => tf.squeeze(x[0], dims && dims.length ? dims : undefined));
  },
  Reshape: ({ constArg, node }) => {
    const shape = Array.from(constArg(1).dataSync()).map(Number);
    node((x) => x[0].reshape([x[0].shape[0], ...shape.slice(1)]));
  },
  MatMul: ({ constArg, node }) => {
    const kernel = constArg(1) as tf.Tensor2D;
    node(
      (x) => tf.matMul(x[0] as tf.Tensor2D, kernel),
      { type: 'global' },
      undefined,
      anatomyOf('dense', kernel, [1, 1], 'valid'),
    );
  },
  ConcatV2: ({ all, constValue, node }) => {
    const axis = Number(constValue(all[all.length - 1]).dataSync()[0]);
    node((x) => tf.concat(x, axis));
  },
  Pad: padOp,
  PadV2: padOp,
};

function padOp({ constArg, node }: GraphContext) {
  const pads = Array.from(constArg(1).dataSync()).map(Number);
  const p: [number, number][] = [0, 1, 2, 3].map((i) => [pads[2 * i], pads[2 * i + 1]]);
  node((x) => tf.pad(x[0], p), undefined, [p[1], p[2]]);
}

function buildGraph(topology: Record<string, unknown>, weights: tf.NamedTensorMap, constants: tf.Tensor[]): Network {
  const graphNodes = (topology.node ?? []) as GraphNode[];
  if (!graphNodes.length) throw new EngineError('model.json: the graph has no nodes');
  const constValue = (name: string): tf.Tensor => {
    const t = weights[name];
    if (!t) throw new EngineError(`graph node ${name}: constant is missing from the weights manifest`);
    return t;
  };
  const isConst = new Set(graphNodes.filter((n) => n.op === 'Const').map((n) => n.name));
  const nodes: NetNode[] = [];
  const input = { name: '' };

  for (const g of graphNodes) {
    if (g.op === 'Const' || g.op === 'NoOp') continue;
    const all = (g.input ?? []).filter((i) => !i.startsWith('^')).map(inputName);
    const dyn = all.filter((i) => !isConst.has(i));
    const stride4 = ints(g, 'strides') ?? [1, 1, 1, 1];
    const entry = Object.hasOwn(GRAPH_OPS, g.op) ? GRAPH_OPS[g.op] : null;
    if (!entry) throw new EngineError(`graph node ${g.name}: op ${g.op} is not supported`);
    entry({
      g,
      all,
      constArg: (k) => constValue(all[k]),
      constValue,
      isConstArg: (k) => isConst.has(all[k]),
      pad: decodeString(g.attr?.padding?.s) === 'VALID' ? 'valid' : 'same',
      stride: [stride4[1], stride4[2]],
      node: (run, geometry, pads, anatomy, partial) =>
        nodes.push({
          name: g.name,
          kind: g.op,
          inputs: dyn,
          run,
          ...partial,
          geometry,
          pads,
          anatomy: anatomy && { ...anatomy, source: g.name, layerClass: g.op },
        }),
      constants,
      input,
    });
  }
  const inputNode = input.name;
  if (!inputNode) throw new EngineError('model.json: the graph has no Placeholder input');
  const defined = new Set(nodes.map((n) => n.name));
  for (const n of nodes)
    for (const i of n.inputs)
      if (!defined.has(i)) throw new EngineError(`graph node ${n.name}: input ${i} is neither a node of the graph nor a weight`);
  // The output is the last node nobody consumes; the logits are that node unless it is a softmax.
  const consumed = new Set(nodes.flatMap((n) => n.inputs));
  const sinks = nodes.filter((n) => !consumed.has(n.name));
  const output = sinks[sinks.length - 1] ?? nodes[nodes.length - 1];
  const logitsName = output.kind === 'Softmax' ? output.inputs[0] : output.name;
  return { inputName: inputNode, nodes, outputName: output.name, logitsName, constants };
}
