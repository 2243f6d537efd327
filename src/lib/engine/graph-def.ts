/**
 * Translates a TensorFlow.js graph model (a frozen GraphDef with its weights) into plain-op nodes.
 * Covers the ops image classifiers exported through tf-converter or TF-Hub use; any other op is reported by name.
 */
import * as tf from '@tensorflow/tfjs';
import { clippedRelu, conv, depthwiseConv, type Padding } from './ops.ts';
import { buildWithConstants, EngineError, type Geometry, type NetNode, type Network } from './network.ts';

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
  let input = '';

  for (const g of graphNodes) {
    if (g.op === 'Const' || g.op === 'NoOp') continue;
    const all = (g.input ?? []).filter((i) => !i.startsWith('^')).map(inputName);
    const dyn = all.filter((i) => !isConst.has(i));
    const arg = (k: number) => all[k];
    const constArg = (k: number) => constValue(arg(k));
    const isConstArg = (k: number) => isConst.has(arg(k));
    const padding = decodeString(g.attr?.padding?.s) as string;
    const pad: Padding = padding === 'VALID' ? 'valid' : 'same';
    const stride4 = ints(g, 'strides') ?? [1, 1, 1, 1];
    const stride: [number, number] = [stride4[1], stride4[2]];
    const node = (run: NetNode['run'], geometry?: Geometry) =>
      nodes.push({ name: g.name, kind: g.op, inputs: dyn, run, geometry });
    /** Element-wise binary op where either side may be a constant. */
    const binary = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => {
      const c0 = isConstArg(0) ? constArg(0) : null;
      const c1 = isConstArg(1) ? constArg(1) : null;
      node((x) => {
        const a = c0 ?? x[0];
        const b = c1 ?? x[c0 ? 0 : 1];
        return f(a, b);
      });
    };
    switch (g.op) {
      case 'Placeholder':
        if (!input) {
          input = g.name;
          node((x) => x[0]);
        }
        break;
      case 'Identity':
      case 'StopGradient':
        node((x) => x[0]);
        break;
      case 'Conv2D': {
        const kernel = constArg(1) as tf.Tensor4D;
        if ((ints(g, 'dilations') ?? [1, 1, 1, 1]).some((d) => d !== 1))
          throw new EngineError(`graph node ${g.name}: dilated convolution is not supported`);
        node((x) => conv(x[0] as tf.Tensor4D, kernel, stride, pad), {
          type: 'window',
          kernel: [kernel.shape[0], kernel.shape[1]],
          stride,
          dilation: 1,
        });
        break;
      }
      case 'DepthwiseConv2dNative': {
        const kernel = constArg(1) as tf.Tensor4D;
        node((x) => depthwiseConv(x[0] as tf.Tensor4D, kernel, stride, pad), {
          type: 'window',
          kernel: [kernel.shape[0], kernel.shape[1]],
          stride,
          dilation: 1,
        });
        break;
      }
      case '_FusedConv2D':
      case 'FusedDepthwiseConv2dNative':
      case '_FusedMatMul': {
        // tf-converter's fused ops: conv / depthwise / matmul, then BiasAdd, then an activation.
        const fused = (g.attr?.fused_ops?.list?.s ?? []).map(decodeString);
        const kernel = constArg(1);
        const bias = fused.includes('BiasAdd') && all[2] ? constValue(all[2]) : null;
        const act = fused.find((f) => f !== 'BiasAdd');
        const alpha = Number(g.attr?.leakyrelu_alpha?.f ?? 0.2);
        const core =
          g.op === '_FusedMatMul'
            ? (x: tf.Tensor) =>
                tf.matMul(
                  x as tf.Tensor2D,
                  kernel as tf.Tensor2D,
                  Boolean(g.attr?.transpose_a?.b),
                  Boolean(g.attr?.transpose_b?.b),
                )
            : g.op === '_FusedConv2D'
              ? (x: tf.Tensor) => conv(x as tf.Tensor4D, kernel as tf.Tensor4D, stride, pad)
              : (x: tf.Tensor) => depthwiseConv(x as tf.Tensor4D, kernel as tf.Tensor4D, stride, pad);
        const activate = (y: tf.Tensor, r: boolean): tf.Tensor => {
          switch (act) {
            case undefined:
              return y;
            case 'Relu':
              return clippedRelu(y, Infinity, r);
            case 'Relu6':
              return clippedRelu(y, 6, r);
            case 'Elu':
              return tf.elu(y);
            case 'Sigmoid':
              return tf.sigmoid(y);
            case 'Tanh':
              return tf.tanh(y);
            case 'LeakyRelu':
              return tf.leakyRelu(y, alpha);
            default:
              throw new EngineError(`graph node ${g.name}: fused activation ${act} is not supported`);
          }
        };
        if (act && !['Relu', 'Relu6', 'Elu', 'Sigmoid', 'Tanh', 'LeakyRelu'].includes(act))
          throw new EngineError(`graph node ${g.name}: fused activation ${act} is not supported`);
        node(
          (x, r) => activate(bias ? tf.add(core(x[0]), bias) : core(x[0]), r),
          g.op === '_FusedMatMul'
            ? { type: 'global' }
            : { type: 'window', kernel: [kernel.shape[0], kernel.shape[1] as number], stride, dilation: 1 },
        );
        break;
      }
      case 'FusedBatchNorm':
      case 'FusedBatchNormV3': {
        const eps = Number(g.attr?.epsilon?.f ?? 1e-3);
        const [scaleT, offset, mean, variance] = [1, 2, 3, 4].map(constArg);
        const k = tf.tidy(() => tf.div(scaleT, tf.sqrt(tf.add(variance, eps))));
        const b = tf.tidy(() => tf.sub(offset, tf.mul(mean, k)));
        constants.push(k, b);
        node((x) => tf.add(tf.mul(x[0], k), b));
        break;
      }
      case 'Add':
      case 'AddV2':
      case 'BiasAdd':
        binary(tf.add);
        break;
      case 'Sub':
        binary(tf.sub);
        break;
      case 'Mul':
        binary(tf.mul);
        break;
      case 'RealDiv':
        binary(tf.div);
        break;
      case 'Maximum':
        binary(tf.maximum);
        break;
      case 'Minimum':
        binary(tf.minimum);
        break;
      case 'Relu':
        node((x, r) => clippedRelu(x[0], Infinity, r));
        break;
      case 'Relu6':
        node((x, r) => clippedRelu(x[0], 6, r));
        break;
      case 'Sigmoid':
        node((x) => tf.sigmoid(x[0]));
        break;
      case 'Tanh':
        node((x) => tf.tanh(x[0]));
        break;
      case 'Elu':
        node((x) => tf.elu(x[0]));
        break;
      case 'LeakyRelu':
        node((x) => tf.leakyRelu(x[0], Number(g.attr?.alpha?.f ?? 0.2)));
        break;
      case 'Softmax':
        node((x) => tf.softmax(x[0]));
        break;
      case 'AvgPool':
      case 'MaxPool': {
        const k4 = ints(g, 'ksize') ?? [1, 2, 2, 1];
        const size: [number, number] = [k4[1], k4[2]];
        const max = g.op === 'MaxPool';
        node(
          (x) => (max ? tf.maxPool(x[0] as tf.Tensor4D, size, stride, pad) : tf.avgPool(x[0] as tf.Tensor4D, size, stride, pad)),
          { type: 'window', kernel: size, stride, dilation: 1 },
        );
        break;
      }
      case 'Mean':
      case 'Max': {
        const axes = Array.from(constArg(1).dataSync()).map(Number);
        const keep = Boolean(g.attr?.keep_dims?.b);
        const spatial = axes.includes(1) && axes.includes(2);
        const f = g.op === 'Mean' ? tf.mean : tf.max;
        node((x) => f(x[0], axes, keep), spatial ? { type: 'global' } : undefined);
        break;
      }
      case 'Squeeze': {
        const dims = ints(g, 'squeeze_dims');
        node((x) => tf.squeeze(x[0], dims && dims.length ? dims : undefined));
        break;
      }
      case 'Reshape': {
        const shape = Array.from(constArg(1).dataSync()).map(Number);
        node((x) => x[0].reshape([x[0].shape[0], ...shape.slice(1)]));
        break;
      }
      case 'MatMul': {
        const kernel = constArg(1) as tf.Tensor2D;
        node((x) => tf.matMul(x[0] as tf.Tensor2D, kernel), { type: 'global' });
        break;
      }
      case 'ConcatV2': {
        const axis = Number(constValue(all[all.length - 1]).dataSync()[0]);
        node((x) => tf.concat(x, axis));
        break;
      }
      case 'Pad':
      case 'PadV2': {
        const pads = Array.from(constArg(1).dataSync()).map(Number);
        const p: [number, number][] = [0, 1, 2, 3].map((i) => [pads[2 * i], pads[2 * i + 1]]);
        node((x) => tf.pad(x[0], p));
        break;
      }
      default:
        throw new EngineError(`graph node ${g.name}: op ${g.op} is not supported`);
    }
  }
  if (!input) throw new EngineError('model.json: the graph has no Placeholder input');
  const defined = new Set(nodes.map((n) => n.name));
  for (const n of nodes)
    for (const i of n.inputs)
      if (!defined.has(i)) throw new EngineError(`graph node ${n.name}: input ${i} is neither a node of the graph nor a weight`);
  // The output is the last node nobody consumes; the logits are that node unless it is a softmax.
  const consumed = new Set(nodes.flatMap((n) => n.inputs));
  const sinks = nodes.filter((n) => !consumed.has(n.name));
  const output = sinks[sinks.length - 1] ?? nodes[nodes.length - 1];
  const logitsName = output.kind === 'Softmax' ? output.inputs[0] : output.name;
  return { inputName: input, nodes, outputName: output.name, logitsName, constants };
}
