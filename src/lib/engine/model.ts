/**
 * A loaded CNN ready for feature visualization: its layers in depth order with shapes, strides and receptive fields,
 * and a forward pass from an RGB image in [0,1] to any set of layers, with the model's own preprocessing.
 */
import * as tf from '@tensorflow/tfjs';
import { loadArtifacts, ModelLoadError, type ReadFile } from './artifacts.ts';
import { graphToNetwork } from './graph-def.ts';
import { kerasToNetwork } from './keras-layers.ts';
import { EngineError, execute, receptiveFields, type Network } from './network.ts';

export interface ModelInfo {
  id: string;
  title?: string;
  /** Input size as [height, width, channels]; channels 1 (grayscale) or 3 (RGB). */
  inputShape?: [number, number, number];
  /** Values the network expects for black and for white. */
  inputRange: [number, number];
  labels?: string[];
  /** Output index of labels[0] (1 for models with a background class at index 0). */
  labelOffset?: number;
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
}

export class FeatureModel {
  readonly layers: LayerInfo[];
  readonly inputShape: [number, number, number];
  private constructor(
    readonly info: ModelInfo,
    readonly format: 'layers' | 'graph',
    private readonly net: Network,
    private readonly owned: tf.Tensor[],
    inputShape: [number, number, number],
    layers: LayerInfo[],
  ) {
    this.inputShape = inputShape;
    this.layers = layers;
  }

  static async load(readFile: ReadFile, info: ModelInfo, modelPath = 'model.json'): Promise<FeatureModel> {
    const { json, weights } = await loadArtifacts(readFile, modelPath);
    const owned = Object.values(weights);
    try {
      const topo = json.modelTopology;
      const isGraph = Array.isArray((topo as { node?: unknown }).node) || json.format === 'graph-model';
      const net = isGraph ? graphToNetwork(topo, weights) : kerasToNetwork(topo, weights);
      owned.push(...net.constants);
      const inputShape = info.inputShape ?? declaredInputShape(topo, isGraph) ?? [224, 224, 3];
      if (inputShape[2] !== 1 && inputShape[2] !== 3) {
        throw new ModelLoadError(`model input has ${inputShape[2]} channels; only 1 (grayscale) or 3 (RGB) can be shown`);
      }
      const layers = describeLayers(net, inputShape);
      if (!layers.some((l) => !l.logits && l.shape[0] > 1)) {
        throw new ModelLoadError('the model has no convolutional layer with a spatial output to visualize');
      }
      return new FeatureModel(info, isGraph ? 'graph' : 'layers', net, owned, inputShape, layers);
    } catch (e) {
      for (const t of owned) t.dispose();
      if (e instanceof EngineError) throw new ModelLoadError(e.message);
      throw e;
    }
  }

  get logitsLayer(): LayerInfo | undefined {
    return this.layers.find((l) => l.logits);
  }

  /** Looks a layer up by name; an unknown name throws an error that lists a few valid ones. */
  layer(name: string): LayerInfo {
    const hit = this.layers.find((l) => l.name === name);
    if (hit) return hit;
    const names = this.layers.map((l) => l.name);
    const near = names.filter((n) => n.includes(name) || name.includes(n)).slice(0, 6);
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
      return tf.add(tf.mul(x, hi - lo), lo) as tf.Tensor4D;
    });
  }

  /**
   * Runs the network on an image batch in [0,1] up to the given layers. `redirect` swaps ReLU/ReLU6 gradients for
   * the redirected ones (see ops.ts); it changes nothing in the forward values.
   */
  forward(image: tf.Tensor4D, layers: string[], redirect = false): Map<string, tf.Tensor> {
    for (const l of layers) this.layer(l);
    const x = this.preprocess(image);
    const out = execute(this.net, x, layers, redirect);
    if (![...out.values()].includes(x)) x.dispose();
    return out;
  }

  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
  }
}

function declaredInputShape(topo: Record<string, unknown>, isGraph: boolean): [number, number, number] | undefined {
  try {
    if (isGraph) {
      const ph = (topo.node as { op: string; attr?: { shape?: { shape?: { dim?: { size: string }[] } } } }[]).find(
        (n) => n.op === 'Placeholder',
      );
      const dims = ph?.attr?.shape?.shape?.dim?.map((d) => Number(d.size));
      if (dims && dims.length === 4 && dims[1] > 0 && dims[2] > 0) return [dims[1], dims[2], dims[3]];
      return undefined;
    }
    const mc = (topo.model_config ?? topo) as { config?: { layers?: { config: { batch_input_shape?: number[]; batch_shape?: number[] } }[] } | unknown[] };
    const layers = Array.isArray(mc.config) ? mc.config : (mc.config as { layers?: unknown[] })?.layers;
    const first = (layers?.[0] as { config: { batch_input_shape?: (number | null)[]; batch_shape?: (number | null)[] } })?.config;
    const s = first?.batch_input_shape ?? first?.batch_shape;
    if (s && s.length === 4 && s[1] && s[2] && s[3]) return [s[1], s[2], s[3]];
  } catch {
    /* fall through */
  }
  return undefined;
}

/** One forward pass at the input size records every node's output shape; the visualizable layers are listed. */
function describeLayers(net: Network, inputShape: [number, number, number]): LayerInfo[] {
  const shapes = new Map<string, number[]>();
  tf.tidy(() => {
    const x = tf.zeros([1, ...inputShape]);
    execute(net, x, net.nodes.map((n) => n.name), false, (name, t) => shapes.set(name, t.shape));
  });
  const rf = receptiveFields(net, Math.max(inputShape[0], inputShape[1]));
  const layers: LayerInfo[] = [];
  for (const n of net.nodes) {
    if (n.name === net.inputName) continue;
    const s = shapes.get(n.name);
    const isLogits = n.name === net.logitsName;
    if (!s) continue;
    if (s.length === 4 || isLogits) {
      const shape: [number, number, number] =
        s.length === 4 ? [s[1], s[2], s[3]] : [1, 1, s.slice(1).reduce((a, b) => a * b, 1)];
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
  return layers;
}
