/**
 * The layer inspector's numbers: for a listed layer, the operation under it (the conv under a folded batch norm and
 * its activation), its window, padding in pixels, the output-size formula with this layer's numbers, weights, the
 * weights a dense layer between the same input and output sizes would need, multiply-adds per image, and for
 * depthwise-separable blocks the comparison with one full conv of the same shape. Pure arithmetic over the network's
 * nodes and the shapes of one forward pass, so the worker computes it once per model.
 */
import type { KernelValues, NetNode, Network, OpAnatomy } from './network.ts';

export type AnatomyKind = 'conv' | 'depthwise' | 'pointwise' | 'separable' | 'dense' | 'pool' | 'merge' | 'other';

export interface Padding {
  /** 'same' / 'valid' as the layer declares it; 'explicit' when a ZeroPadding/Pad node in front adds the pixels. */
  mode: 'same' | 'valid' | 'explicit';
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export interface SeparableComparison {
  /** The depthwise window, which the full conv would have too. */
  window: [number, number];
  /** Weights of the depthwise and the pointwise part, and of one full conv with the same window, input and output. */
  depthwise: number;
  pointwise: number;
  full: number;
  macsSeparable: number;
  macsFull: number;
}

export interface LayerAnatomy {
  /** The node that runs the operation (may differ from the listed layer, e.g. conv_pw_6 under conv_pw_6_bn). */
  op: string;
  opClass: string;
  kind: AnatomyKind;
  kernel: [number, number] | null;
  stride: [number, number] | null;
  dilation: number;
  padding: Padding | null;
  /** [height, width, channels] of the operation's input and output (a flat vector as [1, 1, n]). */
  input: [number, number, number];
  output: [number, number, number];
  /** The output-size formula evaluated with this layer's numbers, per spatial axis: "⌊(112 + 0 + 1 − 3) / 2⌋ + 1 = 56". */
  formula: { height: string; width: string } | null;
  weights: number;
  biases: number;
  /** Weights of a dense layer from every input value to every output value (the text's 25 × 9 = 225). */
  denseWeights: number;
  /** Multiply-adds per image (for a pool: the values it reads). */
  macs: number;
  separable: SeparableComparison | null;
  /** The kernels as stored (depthwise convs, and convs on the image's colour channels), for the kernel view. */
  values?: KernelValues;
}

type Shape3 = [number, number, number];

function as3(s: number[] | undefined): Shape3 | null {
  if (!s) return null;
  if (s.length === 4) return [s[1], s[2], s[3]];
  if (s.length === 2) return [1, 1, s[1]];
  return null;
}

const prod = (s: Shape3) => s[0] * s[1] * s[2];
const sameShape = (a: Shape3 | null, b: Shape3 | null) => !!a && !!b && a.every((v, i) => v === b[i]);

/** TensorFlow's 'same' padding: the pixels needed so that out = ⌈in / stride⌉, the odd one at the bottom / right. */
export function samePadding(input: number, output: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const total = Math.max((output - 1) * stride + (kernel - 1) * dilation + 1 - input, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** The output size a window gives: ⌊(in + before + after − dilation·(k − 1) − 1) / stride⌋ + 1. */
export function outputSize(input: number, before: number, after: number, kernel: number, stride: number, dilation = 1): number {
  return Math.floor((input + before + after - dilation * (kernel - 1) - 1) / stride) + 1;
}

function formulaText(input: number, before: number, after: number, kernel: number, stride: number, dilation: number): string {
  const k = dilation === 1 ? String(kernel) : `${dilation}·(${kernel} − 1) − 1`;
  const out = outputSize(input, before, after, kernel, stride, dilation);
  return `⌊(${input} + ${before} + ${after} − ${k}) / ${stride}⌋ + 1 = ${out}`;
}

interface Graph {
  byName: Map<string, NetNode>;
  consumers: Map<string, string[]>;
  shapes: Map<string, number[]>;
}

/** Walks from a listed layer back through same-shape, single-input nodes (batch norm, activation) to its operation. */
function opUnder(g: Graph, name: string): NetNode | null {
  let node = g.byName.get(name);
  while (node) {
    if (node.anatomy) return node;
    if (node.inputs.length !== 1) return node;
    const up = g.byName.get(node.inputs[0]);
    if (!up || !sameShape(as3(g.shapes.get(node.name)), as3(g.shapes.get(up.name)))) return node;
    node = up;
  }
  return null;
}

function kindOf(node: NetNode): AnatomyKind {
  const a = node.anatomy;
  if (!a) return node.inputs.length > 1 ? 'merge' : node.geometry?.type === 'global' ? 'pool' : 'other';
  if (a.op === 'maxpool' || a.op === 'avgpool') return 'pool';
  if (a.op === 'conv' && a.kernel[0] === 1 && a.kernel[1] === 1) return 'pointwise';
  return a.op;
}

function macsOf(a: OpAnatomy, kind: AnatomyKind, input: Shape3, output: Shape3): number {
  const [oh, ow, oc] = output;
  const window = a.kernel[0] * a.kernel[1];
  switch (kind) {
    case 'conv':
    case 'pointwise':
      return oh * ow * oc * window * input[2];
    case 'depthwise':
    case 'pool':
      return oh * ow * oc * window;
    case 'separable':
      return oh * ow * input[2] * window + oh * ow * input[2] * oc;
    case 'dense':
      return a.weights;
    default:
      return 0;
  }
}

/** A depthwise conv and the 1×1 conv it feeds (or that follows it), through batch norms and activations. */
function separablePair(g: Graph, op: NetNode, kind: AnatomyKind): [NetNode, NetNode] | null {
  if (kind === 'pointwise') {
    const dw = opUnder(g, op.inputs[0]);
    return dw && kindOf(dw) === 'depthwise' ? [dw, op] : null;
  }
  if (kind === 'depthwise') {
    let name = op.name;
    for (let hops = 0; hops < 6; hops++) {
      // A folded batch norm leaves its conv node without consumers: a branch may hold both.
      const next = (g.consumers.get(name) ?? []).map((n) => g.byName.get(n)!);
      const pw = next.find((n) => n.anatomy && kindOf(n) === 'pointwise');
      if (pw) return [op, pw];
      if (next.length !== 1 || next[0].anatomy || next[0].inputs.length !== 1) return null;
      name = next[0].name;
    }
  }
  return null;
}

function comparison(g: Graph, op: NetNode, kind: AnatomyKind): SeparableComparison | null {
  const a = op.anatomy!;
  const out3 = (n: NetNode) => as3(g.shapes.get(n.name))!;
  const in3 = (n: NetNode) => as3(g.shapes.get(n.inputs[0]))!;
  if (kind === 'separable') {
    const [cin, [oh, ow, cout]] = [in3(op)[2], out3(op)];
    const win = a.kernel[0] * a.kernel[1];
    const dw = a.depthwiseWeights ?? win * cin;
    return {
      window: a.kernel,
      depthwise: dw,
      pointwise: a.weights - dw,
      full: win * cin * cout,
      macsSeparable: macsOf(a, kind, in3(op), out3(op)),
      macsFull: oh * ow * cout * win * cin,
    };
  }
  const pair = separablePair(g, op, kind);
  if (!pair) return null;
  const [dw, pw] = pair;
  const d = dw.anatomy!;
  const cin = in3(dw)[2];
  const [oh, ow, cout] = out3(pw);
  const win = d.kernel[0] * d.kernel[1];
  return {
    window: d.kernel,
    depthwise: d.weights,
    pointwise: pw.anatomy!.weights,
    full: win * cin * cout,
    macsSeparable: oh * ow * out3(dw)[2] * win + oh * ow * cout * out3(dw)[2],
    macsFull: oh * ow * cout * win * cin,
  };
}

/** The padding in pixels, and the input the window really slides over (before an explicit pad node in front). */
function paddingOf(g: Graph, op: NetNode, a: OpAnatomy, output: Shape3): { padding: Padding; input: Shape3 } {
  const feed = g.byName.get(op.inputs[0]);
  if (a.padding === 'valid' && feed?.pads) {
    const [[top, bottom], [left, right]] = feed.pads;
    return { padding: { mode: 'explicit', top, bottom, left, right }, input: as3(g.shapes.get(feed.inputs[0]))! };
  }
  const input = as3(g.shapes.get(op.inputs[0]))!;
  if (a.padding === 'valid') return { padding: { mode: 'valid', top: 0, bottom: 0, left: 0, right: 0 }, input };
  const [top, bottom] = samePadding(input[0], output[0], a.kernel[0], a.stride[0], a.dilation);
  const [left, right] = samePadding(input[1], output[1], a.kernel[1], a.stride[1], a.dilation);
  return { padding: { mode: 'same', top, bottom, left, right }, input };
}

/** The inspector's record for every listed layer that has an operation under it. */
export function layerAnatomies(net: Network, shapes: Map<string, number[]>, listed: string[]): Map<string, LayerAnatomy> {
  const byName = new Map(net.nodes.map((n) => [n.name, n]));
  const consumers = new Map<string, string[]>();
  for (const n of net.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n.name]);
  const g: Graph = { byName, consumers, shapes };
  const out = new Map<string, LayerAnatomy>();
  for (const name of listed) {
    const op = opUnder(g, name);
    const output = op && as3(shapes.get(op.name));
    if (!op || !output || !op.inputs.length) continue;
    const kind = kindOf(op);
    const a = op.anatomy;
    if (!a) {
      const input = as3(shapes.get(op.inputs[0]));
      if (!input) continue;
      // A global pool: one window as large as its input.
      const global = kind === 'pool';
      out.set(name, {
        op: op.name,
        opClass: op.kind,
        kind,
        kernel: global ? [input[0], input[1]] : null,
        stride: null,
        dilation: 1,
        padding: null,
        input,
        output,
        formula: null,
        weights: 0,
        biases: 0,
        denseWeights: prod(input) * prod(output),
        macs: global ? prod(input) : 0,
        separable: null,
      });
      continue;
    }
    const spatial = kind !== 'dense';
    const { padding, input } = spatial ? paddingOf(g, op, a, output) : { padding: null, input: as3(shapes.get(op.inputs[0]))! };
    out.set(name, {
      op: a.source,
      opClass: a.layerClass,
      kind,
      kernel: spatial ? a.kernel : null,
      stride: spatial ? a.stride : null,
      dilation: a.dilation,
      padding,
      input,
      output,
      formula:
        spatial && padding
          ? {
              height: formulaText(input[0], padding.top, padding.bottom, a.kernel[0], a.stride[0], a.dilation),
              width: formulaText(input[1], padding.left, padding.right, a.kernel[1], a.stride[1], a.dilation),
            }
          : null,
      weights: a.weights,
      biases: a.biases,
      denseWeights: prod(input) * prod(output),
      macs: macsOf(a, kind, input, output),
      separable: comparison(g, op, kind),
      ...(a.values ? { values: a.values } : {}),
    });
  }
  return out;
}
