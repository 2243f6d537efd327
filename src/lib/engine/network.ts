/**
 * The network as plain ops: a topologically ordered list of nodes, each a small function of its inputs with the
 * weights captured as constants. Both model formats (Keras layers, TF graph) are translated into this form, so that
 * the optimizer differentiates with respect to the image only and can stop at any node.
 */
import * as tf from '@tensorflow/tfjs';

export type Geometry =
  { type: 'window'; kernel: [number, number]; stride: [number, number]; dilation: number } | { type: 'global' };

/**
 * What a layer computes, as the layer inspector explains it: the operation, its window and the weights it holds.
 * Set by the translators on the node that runs the operation (not on a batch norm or activation after it).
 */
export interface OpAnatomy {
  op: 'conv' | 'depthwise' | 'separable' | 'dense' | 'maxpool' | 'avgpool';
  kernel: [number, number];
  stride: [number, number];
  dilation: number;
  padding: 'same' | 'valid';
  weights: number;
  biases: number;
  /** A separable conv's depthwise part (its other weights are the pointwise part). */
  depthwiseWeights?: number;
  /**
   * The kernels themselves, for the studio's kernel view: a depthwise conv's [kh, kw, channels, multiplier] and a conv
   * on the image's colour channels [kh, kw, 3, filters] (with its biases), as the model stores them.
   */
  values?: KernelValues;
  /** The layer or graph node that declared it, and its class or op (a folded batch norm carries its conv's record). */
  source: string;
  layerClass: string;
}

export interface KernelValues {
  shape: number[];
  weights: number[];
  biases: number[] | null;
  /**
   * On a batch norm folded after the conv: the sign (+1 or −1) it gives each output channel, its γ's sign (the scale
   * γ/√(σ²+ε) is otherwise positive). The weights themselves stay the model's own.
   */
  outputSigns?: number[];
}

/** The kernel view's copy of a conv's weights: depthwise kernels and convs on 1–3 input channels, else none. */
export function kernelValues(
  kernel: tf.Tensor,
  bias: tf.Tensor | null | undefined,
  depthwise: boolean,
): KernelValues | undefined {
  if (kernel.rank !== 4 || (!depthwise && (kernel.shape[2] ?? 0) > 3) || kernel.size > 65536) return undefined;
  return { shape: kernel.shape, weights: Array.from(kernel.dataSync()), biases: bias ? Array.from(bias.dataSync()) : null };
}

/** What a translator declares; the node's name and class are filled in when the node is added. */
export type OpDeclared = Omit<OpAnatomy, 'source' | 'layerClass'>;

export interface NetNode {
  /** Name a user targets: the Keras layer name or the graph node name. */
  name: string;
  /** Keras class name or graph op, for display. */
  kind: string;
  inputs: string[];
  run(inputs: tf.Tensor[], redirect: boolean): tf.Tensor;
  /**
   * A conv node: the same computation followed by ReLU (cap Infinity) or ReLU6 in one fused kernel, or null where it
   * cannot fuse. `execute` uses it for a conv whose only use is such an activation.
   */
  runClipped?(inputs: tf.Tensor[], cap: number, redirect: boolean): tf.Tensor | null;
  /**
   * A conv node: only output channels `channels` (in that order), from its whole input and the same slice of its
   * weights. `execute` uses it where the objective reads only some channels of a layer (a channel objective reads a
   * few of hundreds) and nothing else reads the way there (partial-channels.ts).
   */
  runChannels?(inputs: tf.Tensor[], channels: number[], redirect: boolean, cache?: SliceCache): tf.Tensor;
  /**
   * A node whose channel c comes from channel c of its input (a depthwise conv): channels `channels` from an input
   * holding only those. (An activation node, clipCap set, is channelwise as it is.)
   */
  runChannelwise?(inputs: tf.Tensor[], channels: number[], redirect: boolean, cache: SliceCache): tf.Tensor;
  /** An activation node that is clippedRelu(x, clipCap): a conv before it may run it fused. */
  clipCap?: number;
  /** Spatial footprint, for strides and receptive fields; absent for pointwise / element-wise nodes. */
  geometry?: Geometry;
  /** Pixels a ZeroPadding2D node adds, [[top, bottom], [left, right]] (a following 'valid' conv can take them over). */
  pads?: [[number, number], [number, number]];
  anatomy?: OpAnatomy;
}

export interface Network {
  inputName: string;
  nodes: NetNode[];
  outputName: string;
  /** Node whose output is the class scores before softmax, when the model has a classifier. */
  logitsName?: string;
  /** Constant tensors owned by the network (weights, folded weights). */
  constants: tf.Tensor[];
  /** The input range the model itself declares (a Keras Rescaling layer on its input), and why. */
  declaredRange?: { range: [number, number]; why: string };
}

import { EngineError } from './errors.ts';
import { samePadding } from './layer-anatomy.ts';
import type { SliceCache } from './slice-cache.ts';
import { partialPlan, runPartial } from './partial-channels.ts';

export { EngineError };

/**
 * Runs a network builder with a list for the constants it creates; if building fails, they are disposed, so a
 * rejected model leaves no tensors behind.
 */
export function buildWithConstants(build: (constants: tf.Tensor[]) => Network): Network {
  const constants: tf.Tensor[] = [];
  try {
    return build(constants);
  } catch (e) {
    for (const t of constants) t.dispose();
    throw e;
  }
}

/** Names of the nodes that must run to produce `targets`, in execution order. */
export function nodesNeeded(net: Network, targets: string[]): NetNode[] {
  const byName = new Map(net.nodes.map((n) => [n.name, n]));
  const needed = new Set<string>();
  const stack = [...targets];
  while (stack.length) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    const node = byName.get(name);
    if (!node) throw new EngineError(`unknown node ${name}`);
    needed.add(name);
    stack.push(...node.inputs);
  }
  return net.nodes.filter((n) => needed.has(n.name));
}

/**
 * Conv nodes whose output only feeds a clipped-ReLU node and is not asked for itself: they run fused with it
 * (conv name → activation name).
 */
function fusedPairs(net: Network, needed: NetNode[], targets: string[]): Map<string, string> {
  const uses = new Map<string, number>();
  for (const n of needed) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  const byName = new Map(needed.map((n) => [n.name, n]));
  const pairs = new Map<string, string>();
  for (const act of needed) {
    if (act.clipCap === undefined || act.inputs.length !== 1) continue;
    const conv = byName.get(act.inputs[0]);
    if (!conv?.runClipped || conv.name === net.inputName || targets.includes(conv.name)) continue;
    if (uses.get(conv.name) === 1) pairs.set(conv.name, act.name);
  }
  return pairs;
}

interface Plan {
  needed: NetNode[];
  pairs: Map<string, string>;
  byName: Map<string, NetNode>;
  /** How many nodes of the plan read each node (a node read by one only may be computed in part for it). */
  readers: Map<string, number>;
}
const plans = new WeakMap<Network, Map<string, Plan>>();

/** What `execute` runs for these targets (every step asks the same): worked out once per network and targets. */
function planOf(net: Network, targets: string[], everyOutput: boolean): Plan {
  let byTargets = plans.get(net);
  if (!byTargets) plans.set(net, (byTargets = new Map()));
  const key = `${everyOutput}|${targets.join('|')}`;
  let plan = byTargets.get(key);
  if (!plan) {
    const needed = nodesNeeded(net, targets);
    const pairs = everyOutput ? new Map<string, string>() : fusedPairs(net, needed, targets);
    const readers = new Map<string, number>();
    for (const n of needed) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
    byTargets.set(key, (plan = { needed, pairs, byName: new Map(needed.map((n) => [n.name, n])), readers }));
  }
  return plan;
}

export interface ExecuteOptions {
  /** Called with every node's output (and then no node runs fused or in part: every output is whole). */
  onNode?: (name: string, out: tf.Tensor) => void;
  /**
   * The only channels wanted of some targets (ascending): computed alone where the network allows, and so are the
   * same channels of the nodes below that only feed them (partial-channels.ts).
   */
  channels?: Record<string, number[]>;
  /** Filled with the targets computed in part, and their channels (the order of their last axis). */
  subsets?: Map<string, number[]>;
  /** Where the sliced weights are kept between steps (the render's); without it only conv targets are sliced. */
  cache?: SliceCache;
}

/**
 * Runs the network from `input` (already preprocessed) up to `targets`; returns each target's output. A conv whose
 * only use is a ReLU/ReLU6 runs fused with it (one pass less over its output), unless `onNode` wants every output;
 * a target of which only some channels are wanted may compute only those (ExecuteOptions.channels; `subsets` says
 * which did).
 */
export function execute(
  net: Network,
  input: tf.Tensor,
  targets: string[],
  redirect: boolean,
  { onNode, channels, subsets, cache }: ExecuteOptions = {},
): Map<string, tf.Tensor> {
  const values = new Map<string, tf.Tensor>();
  const { needed, pairs, byName, readers } = planOf(net, targets, onNode !== undefined);
  const partial = channels && !onNode ? partialPlan(channels, targets, byName, readers, net.inputName, cache) : null;
  for (const [name, list] of partial?.targets ?? []) subsets?.set(name, list);
  const inputsOf = (node: NetNode) => node.inputs.map((i) => values.get(i)!);
  for (const node of needed) {
    const part = partial?.channels.get(node.name);
    if (pairs.has(node.name) && !part) continue; // runs with its activation below
    let out: tf.Tensor;
    if (part) out = runPartial(node, inputsOf(node), part, redirect, cache);
    else if (node.name === net.inputName) out = input;
    else {
      const conv = node.inputs.length === 1 && pairs.get(node.inputs[0]) === node.name ? byName.get(node.inputs[0])! : null;
      const fused = conv ? conv.runClipped!(inputsOf(conv), node.clipCap!, redirect) : null;
      out = fused ?? node.run(conv ? [conv.run(inputsOf(conv), redirect)] : inputsOf(node), redirect);
    }
    values.set(node.name, out);
    onNode?.(node.name, out);
  }
  return new Map(targets.map((t) => [t, values.get(t)!]));
}

export interface ReceptiveField {
  /** Distance in input pixels between neighbouring units of this node. */
  stride: number;
  /** Side of the square of input pixels that can influence one unit. */
  size: number;
}

/** Cumulative stride and receptive field of every node, following the spatial geometry along the graph. */
export function receptiveFields(net: Network, inputSide: number): Map<string, ReceptiveField> {
  const out = new Map<string, ReceptiveField>();
  for (const node of net.nodes) {
    if (node.name === net.inputName) {
      out.set(node.name, { stride: 1, size: 1 });
      continue;
    }
    const ins = node.inputs.map((i) => out.get(i)!).filter(Boolean);
    const base = ins.reduce<ReceptiveField>(
      (a, b) => ({ stride: Math.max(a.stride, b.stride), size: Math.max(a.size, b.size) }),
      { stride: 1, size: 1 },
    );
    const g = node.geometry;
    if (!g) out.set(node.name, base);
    else if (g.type === 'global') out.set(node.name, { stride: base.stride, size: inputSide });
    else {
      const k = Math.max(g.kernel[0], g.kernel[1]);
      const s = Math.max(g.stride[0], g.stride[1]);
      out.set(node.name, { stride: base.stride * s, size: base.size + (k - 1) * g.dilation * base.stride });
    }
  }
  return out;
}

/** Where a node's units sit on the input: unit (i, j) is centred on input pixel (start[0] + i·jump[0], start[1] + j·jump[1]). */
export interface UnitGrid {
  start: [number, number];
  jump: [number, number];
}

/**
 * Unit centres of every node in input pixels, following windows, strides and the padding before them (read off the
 * shapes: a window that adds p pixels before its first row moves its first centre back by p). A global pool's one
 * unit sits in the middle; a merge takes its first input's grid.
 */
export function unitGrids(net: Network, shapes: Map<string, number[]>): Map<string, UnitGrid> {
  const out = new Map<string, UnitGrid>();
  for (const node of net.nodes) {
    const inName = node.inputs[0];
    const g = inName ? out.get(inName) : undefined;
    if (node.name === net.inputName || !g) {
      out.set(node.name, { start: [0, 0], jump: [1, 1] });
      continue;
    }
    const geo = node.geometry;
    const inShape = shapes.get(inName);
    const outShape = shapes.get(node.name);
    if (node.pads) {
      const [[top], [left]] = node.pads;
      out.set(node.name, { start: [g.start[0] - top * g.jump[0], g.start[1] - left * g.jump[1]], jump: g.jump });
    } else if (geo?.type === 'global' && inShape?.length === 4) {
      const c = (n: number, a: 0 | 1) => g.start[a] + ((n - 1) / 2) * g.jump[a];
      out.set(node.name, { start: [c(inShape[1], 0), c(inShape[2], 1)], jump: g.jump });
    } else if (geo?.type === 'window' && inShape?.length === 4 && outShape?.length === 4) {
      const axis = (a: 0 | 1): [number, number] => {
        const s = geo.stride[a];
        const [padBefore] = samePadding(inShape[a + 1], outShape[a + 1], geo.kernel[a], s, geo.dilation);
        const reach = (geo.kernel[a] - 1) * geo.dilation; // from the window's first pixel to its last
        return [g.start[a] + (reach / 2 - padBefore) * g.jump[a], g.jump[a] * s];
      };
      const [y, x] = [axis(0), axis(1)];
      out.set(node.name, { start: [y[0], x[0]], jump: [y[1], x[1]] });
    } else out.set(node.name, g);
  }
  return out;
}

/** The largest single activation allowed at batch 1 (a render holds several, at batch 8, with their gradients). */
export const MAX_ACTIVATION_BYTES = 512 * 1024 * 1024;

/**
 * An upper estimate of each node's output size, from shapes alone — before any forward pass allocates anything.
 * Spatial sizes follow the geometry (a window divides by its stride, ZeroPadding adds its pixels, a global pool
 * leaves 1×1); channels are bounded by the widest convolution kernel. Returns the largest node.
 */
export function largestActivation(
  net: Network,
  inputShape: [number, number, number],
  kernelShapes: number[][],
): { node: string; height: number; width: number; channels: number; bytes: number } {
  const channels = Math.max(inputShape[2], ...kernelShapes.filter((s) => s.length === 4).flatMap((s) => [s[2], s[3]]));
  const sides = new Map<string, [number, number]>();
  let best = { node: net.inputName, height: inputShape[0], width: inputShape[1], channels: inputShape[2], bytes: 0 };
  best.bytes = inputShape[0] * inputShape[1] * inputShape[2] * 4;
  for (const node of net.nodes) {
    let [h, w]: [number, number] = node.name === net.inputName ? [inputShape[0], inputShape[1]] : [0, 0];
    for (const i of node.inputs) {
      const s = sides.get(i);
      if (s) [h, w] = [Math.max(h, s[0]), Math.max(w, s[1])];
    }
    if (node.pads) [h, w] = [h + node.pads[0][0] + node.pads[0][1], w + node.pads[1][0] + node.pads[1][1]];
    const g = node.geometry;
    if (g?.type === 'global') [h, w] = [1, 1];
    else if (g?.type === 'window') [h, w] = [Math.ceil(h / g.stride[0]), Math.ceil(w / g.stride[1])];
    sides.set(node.name, [h, w]);
    const bytes = h * w * channels * 4;
    if (bytes > best.bytes) best = { node: node.name, height: h, width: w, channels, bytes };
  }
  return best;
}
