/**
 * A loaded CNN ready for feature visualization: its layers in depth order with shapes, strides and receptive fields,
 * and a forward pass from an RGB image in [0,1] to any set of layers, with the model's own preprocessing.
 */
import { layerAnatomies, type LayerAnatomy } from './layer-anatomy.ts';
import * as tf from '@tensorflow/tfjs';
import { loadArtifacts, type ReadFile } from './artifacts.ts';
import { ModelLoadError } from './errors.ts';
import type { SliceCache } from './slice-cache.ts';
import { graphToNetwork } from './graph-def.ts';
import { kerasToNetwork } from './keras-layers.ts';
import { nearestNames } from './name-suggestions.ts';
import {
  EngineError,
  execute,
  largestActivation,
  MAX_ACTIVATION_BYTES,
  receptiveFields,
  unitGrids,
  type Network,
  type UnitGrid,
} from './network.ts';

export interface ModelInfo {
  id: string;
  title?: string;
  /** Input size as [height, width, channels]; channels 1 (grayscale) or 3 (RGB). */
  inputShape?: [number, number, number];
  /** Values the network expects for black and for white. */
  inputRange: [number, number];
  /** Per-channel standardization after the range mapping, (x − mean) / std, for models trained that way. */
  normalize?: Normalization;
  labels?: string[];
  /** Output index of labels[0] (1 for models with a background class at index 0). */
  labelOffset?: number;
}

export interface Normalization {
  mean: [number, number, number];
  std: [number, number, number];
}

export interface LayerInfo {
  name: string;
  kind: string;
  /** Position in depth order among the listed layers (0 = nearest the input). */
  depth: number;
  /** Output [height, width, channels] at the model's input size. */
  shape: [number, number, number];
  stride: number;
  receptiveField: number;
  /** True for the class-score layer that the logit objective uses. */
  logits: boolean;
  /** What the layer computes, for the layer inspector (absent for the input and for layers with no operation). */
  anatomy?: LayerAnatomy;
  /** Where its units sit on the input (for outlining what a unit sees on a photo). */
  grid?: UnitGrid;
}

export class FeatureModel {
  readonly layers: LayerInfo[];
  readonly inputShape: [number, number, number];
  private constructor(
    public info: ModelInfo,
    readonly format: 'layers' | 'graph',
    private readonly net: Network,
    private readonly owned: tf.Tensor[],
    inputShape: [number, number, number],
    layers: LayerInfo[],
    /** True when the network only runs at its declared input size (e.g. per-position weights): render at that size. */
    readonly fixedInputSize: boolean,
    /** Hash of the topology and weight bytes: the same model read from anywhere has the same one. */
    readonly contentHash: string,
  ) {
    this.inputShape = inputShape;
    this.layers = layers;
  }

  static async load(
    readFile: ReadFile,
    info: ModelInfo,
    modelPath = 'model.json',
    maxWeightBytes?: number,
  ): Promise<FeatureModel> {
    const { json, weights, hash } = await loadArtifacts(readFile, modelPath, maxWeightBytes);
    const owned = Object.values(weights);
    try {
      const topo = json.modelTopology;
      const isGraph = Array.isArray((topo as { node?: unknown }).node) || json.format === 'graph-model';
      const net = isGraph ? graphToNetwork(topo, weights) : kerasToNetwork(topo, weights);
      owned.push(...net.constants);
      const declared = declaredInputShape(topo, isGraph);
      if (declared && declared.length !== 4) {
        throw new ModelLoadError(
          `the model's input has shape [${declared.map((d) => d ?? 'null').join(', ')}]: not an image (expected [batch, height, width, channels])`,
        );
      }
      const fromModel =
        declared && declared[1] && declared[2] && declared[3]
          ? ([declared[1], declared[2], declared[3]] as [number, number, number])
          : null;
      const inputShape = info.inputShape ?? fromModel ?? [224, 224, declared?.[3] ?? 3];
      if (inputShape[2] !== 1 && inputShape[2] !== 3) {
        throw new ModelLoadError(
          `the model's input has ${inputShape[2]} channels; only 1 (grayscale) or 3 (RGB) images can be shown`,
        );
      }
      // Shapes first: a model that declares a huge input (or pads to one) is refused before a forward pass allocates it.
      const big = largestActivation(
        net,
        inputShape,
        Object.values(weights).map((t) => t.shape),
      );
      if (big.bytes > MAX_ACTIVATION_BYTES) {
        throw new ModelLoadError(
          `the model's input is ${inputShape[0]}×${inputShape[1]}×${inputShape[2]}; at that size layer ${big.node} would be about ` +
            `${big.height}×${big.width}×${big.channels} (${(big.bytes / 2 ** 30).toFixed(1)} GB per image), more than the ` +
            `${MAX_ACTIVATION_BYTES / 2 ** 20} MB one activation may take here`,
        );
      }
      const [layers, otherSizes] = withSharedShaders(() => [describeLayers(net, inputShape), acceptsOtherSizes(net, inputShape)]);
      // Generic (tfjs-layers) layers may hold per-position weights, and wasm kernels do not always check shapes:
      // such networks are only run at their own size.
      const fixedSize = net.nodes.some((n) => n.kind.endsWith('(generic)')) || !otherSizes;
      if (!layers.some((l) => !l.logits && l.shape[0] > 1)) {
        throw new ModelLoadError('the model has no convolutional layer with a spatial output to visualize');
      }
      return new FeatureModel(info, isGraph ? 'graph' : 'layers', net, owned, inputShape, layers, fixedSize, hash);
    } catch (e) {
      for (const t of owned) t.dispose();
      if (e instanceof EngineError) throw new ModelLoadError(e.message);
      throw e;
    }
  }

  /** The input range the model declares itself (a Rescaling layer on its input), and why; undefined when it does not. */
  get declaredRange(): { range: [number, number]; why: string } | undefined {
    return this.net.declaredRange;
  }

  /** Changes the value range the network is fed (a person checking which range their model expects). */
  setInputRange(range: [number, number], normalize?: Normalization): void {
    this.info = { ...this.info, inputRange: range, normalize };
  }

  get logitsLayer(): LayerInfo | undefined {
    return this.layers.find((l) => l.logits);
  }

  /** Looks a layer up by name; an unknown name throws an error that lists the nearest valid ones (or a few). */
  layer(name: string): LayerInfo {
    const hit = this.layers.find((l) => l.name === name);
    if (hit) return hit;
    const names = this.layers.map((l) => l.name);
    const near = nearestNames(name, names);
    const sample = near.length ? near : [...names.slice(0, 3), '…', ...names.slice(-3)];
    throw new EngineError(`unknown layer "${name}" in model ${this.info.id}; valid layers include: ${sample.join(', ')}`);
  }

  /** Maps an RGB image in [0,1] to the network's input (grayscale conversion, value range). */
  preprocess(image: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let x: tf.Tensor4D = image;
      if (this.inputShape[2] === 1) {
        x = tf.sum(tf.mul(image, tf.tensor1d([0.299, 0.587, 0.114])), 3, true) as tf.Tensor4D;
      }
      const [lo, hi] = this.info.inputRange;
      const ranged = tf.add(tf.mul(x, hi - lo), lo) as tf.Tensor4D;
      const n = this.info.normalize;
      if (!n) return ranged;
      const c = x.shape[3];
      const mean = tf.tensor1d(n.mean.slice(0, c));
      const std = tf.tensor1d(n.std.slice(0, c));
      return tf.div(tf.sub(ranged, mean), std) as tf.Tensor4D;
    });
  }

  /**
   * Runs the network on an image batch in [0,1] up to the given layers. `redirect` swaps ReLU/ReLU6 gradients for
   * the redirected ones (see ops.ts); it changes nothing in the forward values. Call it inside tf.tidy.
   */
  forward(image: tf.Tensor4D, layers: string[], redirect = false): Map<string, tf.Tensor> {
    return this.forwardSome(image, layers, redirect).acts;
  }

  /**
   * `forward`, computing only `channels` of the layers listed there where it can (a conv layer nothing else on the
   * way reads); `subsets` says which layers hold only those channels, in that order on their last axis.
   */
  forwardSome(
    image: tf.Tensor4D,
    layers: string[],
    redirect = false,
    channels?: Record<string, number[]>,
    cache?: SliceCache,
  ): { acts: Map<string, tf.Tensor>; subsets: Map<string, number[]> } {
    for (const l of layers) this.layer(l);
    const [h, w] = this.inputShape;
    // A network that runs only at its own input size sees every image resized to it (differentiably).
    const sized =
      this.fixedInputSize && (image.shape[1] !== h || image.shape[2] !== w)
        ? tf.image.resizeBilinear(image, [h, w], true)
        : image;
    // Intermediates are left to the caller's tf.tidy: a gradient may still need them.
    const subsets = new Map<string, number[]>();
    const acts = execute(this.net, this.preprocess(sized), layers, redirect, { channels, subsets, cache });
    return { acts, subsets };
  }

  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
  }
}

/** The input shape the model declares (batch dimension included, nulls for free sizes), if it declares one. */
function declaredInputShape(topo: Record<string, unknown>, isGraph: boolean): (number | null)[] | undefined {
  if (isGraph) {
    const ph = (topo.node as { op: string; attr?: { shape?: { shape?: { dim?: { size: string }[] } } } }[]).find(
      (n) => n.op === 'Placeholder',
    );
    const dims = ph?.attr?.shape?.shape?.dim?.map((d) => Number(d.size));
    return dims?.map((d) => (d > 0 ? d : null));
  }
  const mc = (topo.model_config ?? topo) as { config?: unknown };
  const layers = (Array.isArray(mc.config) ? mc.config : (mc.config as { layers?: unknown[] })?.layers) as
    { config?: { batch_input_shape?: (number | null)[]; batch_shape?: (number | null)[] } }[] | undefined;
  const first = layers?.[0]?.config;
  return first?.batch_input_shape ?? first?.batch_shape;
}

/**
 * Runs `f` with WebGL's shaders keyed by op rather than by shape (tfjs's shape uniforms). The two passes of a load run
 * every layer at sizes no render uses (the model's own and 8 px more), so per-shape shaders were compiled for nothing:
 * on SwiftShader a load of MobileNet up to conv_pw_6 took 4.3 s with them, 3.0 s with shared ones (BENCHMARKS.md,
 * session 19). Renders keep per-shape shaders, which run faster (about 30 % per step on SwiftShader). Other backends:
 * just `f`.
 */
function withSharedShaders<T>(f: () => T): T {
  if (tf.getBackend() !== 'webgl') return f();
  const before = tf.env().getBool('WEBGL_USE_SHAPES_UNIFORMS');
  tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', true);
  try {
    return f();
  } finally {
    tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', before);
  }
}

/** Whether the network also runs at another input size (fully convolutional up to its head). */
function acceptsOtherSizes(net: Network, inputShape: [number, number, number]): boolean {
  try {
    tf.tidy(() => {
      const x = tf.zeros([1, inputShape[0] + 8, inputShape[1] + 8, inputShape[2]]);
      execute(
        net,
        x,
        net.nodes.map((n) => n.name),
        false,
      );
    });
    return true;
  } catch {
    return false;
  }
}

/** One forward pass at the input size records every node's output shape; the visualizable layers are listed. */
function describeLayers(net: Network, inputShape: [number, number, number]): LayerInfo[] {
  const shapes = new Map<string, number[]>();
  tf.tidy(() => {
    const x = tf.zeros([1, ...inputShape]);
    execute(
      net,
      x,
      net.nodes.map((n) => n.name),
      false,
      { onNode: (name, t) => shapes.set(name, t.shape) },
    );
  });
  const rf = receptiveFields(net, Math.max(inputShape[0], inputShape[1]));
  const layers: LayerInfo[] = [];
  for (const n of net.nodes) {
    if (n.name === net.inputName) continue;
    const s = shapes.get(n.name);
    // Class scores are a vector (or a 1×1 map): a network that ends in a feature map has none, whatever its output.
    const isLogits = n.name === net.logitsName && !!s && (s.length === 2 || (s.length === 4 && s[1] === 1 && s[2] === 1));
    if (!s) continue;
    if (s.length === 4 || s.length === 2 || isLogits) {
      const shape: [number, number, number] = s.length === 4 ? [s[1], s[2], s[3]] : [1, 1, s.slice(1).reduce((a, b) => a * b, 1)];
      const r = rf.get(n.name)!;
      layers.push({
        name: n.name,
        kind: n.kind,
        depth: layers.length,
        shape,
        stride: r.stride,
        receptiveField: r.size,
        logits: isLogits,
      });
    }
  }
  const anatomy = layerAnatomies(
    net,
    shapes,
    layers.map((l) => l.name),
  );
  const grids = unitGrids(net, shapes);
  for (const l of layers) {
    const a = anatomy.get(l.name);
    if (a) l.anatomy = a;
    const g = grids.get(l.name);
    if (g && l.shape[0] > 1) l.grid = g;
  }
  return layers;
}
