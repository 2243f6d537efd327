/**
 * Convolutions with constant weights whose gradients are taken with respect to the input only.
 *
 * The network's weights are constants here, so a backward pass needs the input gradient and nothing else.
 * Each conv is a `tf.customGrad` whose backward is built from forward kernels that every backend has:
 *  - depthwise conv: wasm has no DepthwiseConv2dNativeBackpropInput, so its input gradient is a depthwise conv of the
 *    zero-dilated upstream gradient with the spatially flipped kernel (strided, on wasm: kernels/depthwise-backward.ts);
 *  - 1×1 conv: the input gradient is a 1×1 conv with the transposed kernel (wasm's Conv2DBackpropInput is slow);
 *  - k×k conv: same dilate-and-flip construction as the depthwise case, with a full conv; strided: sub-pixel form.
 * A conv can also run fused with the ReLU / ReLU6 after it (PreparedConv.clipped).
 */
import * as tf from '@tensorflow/tfjs';
import { depthwiseBackwardKernel } from './kernels/depthwise-backward.ts';
import { clippedReluGrad } from './ops.ts';
import { channelSlice, sliced, type SliceCache } from './slice-cache.ts';

type GradFunc = Parameters<typeof tf.customGrad>[0];

/** TensorFlow's two padding modes, or explicit pixels [[top, bottom], [left, right]] (a folded ZeroPadding2D). */
export type Pads = [[number, number], [number, number]];
export type Padding = 'same' | 'valid' | Pads;

/** Padding before the first element along one axis, and the output length, as TensorFlow computes them. */
export function padGeometry(
  inLen: number,
  k: number,
  stride: number,
  dilation: number,
  padding: 'same' | 'valid' | [number, number],
): { before: number; after: number; out: number } {
  const kEff = (k - 1) * dilation + 1;
  if (Array.isArray(padding)) {
    const [before, after] = padding;
    return { before, after, out: Math.floor((inLen + before + after - kEff) / stride) + 1 };
  }
  if (padding === 'valid') {
    const out = Math.ceil((inLen - kEff + 1) / stride);
    return { before: 0, after: 0, out };
  }
  const out = Math.ceil(inLen / stride);
  const total = Math.max((out - 1) * stride + kEff - inLen, 0);
  const before = Math.floor(total / 2);
  return { before, after: total - before, out };
}

const axisPadding = (p: Padding, axis: 0 | 1) => (Array.isArray(p) ? p[axis] : p);
type TfPad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
/** The `pad` argument of tfjs's conv ops: explicit pixels become NHWC pairs. */
const tfPad = (p: Padding): TfPad => (Array.isArray(p) ? [[0, 0], p[0], p[1], [0, 0]] : p);

/**
 * Prepares the upstream gradient dy (NHWC) for a stride-1 correlation with a flipped kernel that yields the input
 * gradient: inserts stride−1 zeros between rows/columns and crops what no input position needs. The zero border the
 * correlation still needs is returned as explicit padding for the conv itself (no separate pad pass).
 */
function dilateForBackward(
  dy: tf.Tensor4D,
  stride: [number, number],
  k: [number, number],
  before: [number, number],
  inSize: [number, number],
): { t: tf.Tensor4D; pads: Pads } {
  let t = dy;
  const [b, oh, ow, c] = dy.shape;
  if (stride[0] > 1) {
    t = tf
      .pad(t.reshape([b, oh, 1, ow * c]), [
        [0, 0],
        [0, 0],
        [0, stride[0] - 1],
        [0, 0],
      ])
      .reshape([b, oh * stride[0], ow, c]);
  }
  if (stride[1] > 1) {
    const h = t.shape[1];
    t = tf
      .pad(t.reshape([b * h, ow, 1, c]), [
        [0, 0],
        [0, 0],
        [0, stride[1] - 1],
        [0, 0],
      ])
      .reshape([b, h, ow * stride[1], c]);
  }
  // After zero insertion the length is o*s; the true dilated length is (o-1)*s+1.
  const pads: [number, number][] = [];
  const crops: number[] = [];
  for (let a = 0; a < 2; a++) {
    const o = a === 0 ? oh : ow;
    const s = stride[a];
    const dilatedLen = (o - 1) * s + 1;
    const left = k[a] - 1 - before[a];
    const right = inSize[a] + k[a] - 1 - dilatedLen - left;
    // o*s - dilatedLen = s-1 trailing zeros are already present.
    const extra = right - (s - 1);
    pads.push([left, Math.max(extra, 0)]);
    crops.push(Math.min(extra, 0));
  }
  if (crops[0] < 0 || crops[1] < 0) {
    t = t.slice([0, 0, 0, 0], [b, t.shape[1] + crops[0], t.shape[2] + crops[1], c]);
  }
  return { t, pads: [pads[0], pads[1]] };
}

/**
 * The input gradient of a strided full conv without zero insertion ("sub-pixel" form). Input position j (counted
 * in the padded frame) of phase q = j mod s only receives taps t ≡ q (mod s), from dy[j div s − m] with t = q + m·s.
 * So one stride-1 conv of dy with a kernel of side M = ceil(k / s) whose output channels are the s² phases × Cin,
 * followed by depthToSpace(s), gives every input position at once: 1/s² of the multiply-adds of the zero-inserted
 * form, no pad passes, and more output channels per conv (XNNPACK is slow at the 3 channels of a first layer).
 * Returns K'[uy, ux, Cout, (qy·s + qx)·Cin + cin] = K[qy + (M−1−uy)·s, qx + (M−1−ux)·s, cin, cout] (0 outside K).
 */
export function phaseKernel(kernel: tf.Tensor4D, stride: [number, number]): tf.Tensor4D {
  const [kh, kw, cin, cout] = kernel.shape;
  const [sy, sx] = stride;
  const my = Math.ceil(kh / sy);
  const mx = Math.ceil(kw / sx);
  // Built from rank-4 ops, not read back: a weight computed on a GPU backend stays there (WebGPU's synchronous read
  // goes through a canvas). Phase (qy, qx) takes every s-th tap from (qy, qx) of the kernel padded to M·s taps, in
  // reverse order, with input and output channels swapped; the phases are concatenated along the last axis.
  return tf.tidy(() => {
    const padded = tf.pad(kernel, [
      [0, my * sy - kh],
      [0, mx * sx - kw],
      [0, 0],
      [0, 0],
    ]);
    const parts: tf.Tensor4D[] = [];
    for (let qy = 0; qy < sy; qy++)
      for (let qx = 0; qx < sx; qx++)
        parts.push(
          tf
            .stridedSlice(padded, [qy, qx, 0, 0], [my * sy, mx * sx, cin, cout], [sy, sx, 1, 1])
            .reverse([0, 1])
            .transpose([0, 1, 3, 2]) as tf.Tensor4D,
        );
    return tf.concat(parts, 3);
  });
}

/** The input gradient of a strided full conv from dy and its phase kernel (see phaseKernel). */
function phaseBackward(
  dy: tf.Tensor4D,
  phases: tf.Tensor4D,
  stride: number,
  before: [number, number],
  inSize: [number, number],
): tf.Tensor4D {
  const [my, mx] = phases.shape;
  const [b, oh, ow] = dy.shape;
  const cin = phases.shape[3] / (stride * stride);
  const jMax = [Math.floor((before[0] + inSize[0] - 1) / stride), Math.floor((before[1] + inSize[1] - 1) / stride)];
  const pad: TfPad = [
    [0, 0],
    [my - 1, Math.max(0, jMax[0] + 1 - oh)],
    [mx - 1, Math.max(0, jMax[1] + 1 - ow)],
    [0, 0],
  ];
  const g = tf.conv2d(dy, phases, 1, pad);
  const [, jh, jw] = g.shape;
  // depthToSpace(stride) as reshape-transpose-reshape: wasm's DepthToSpace kernel is ~15× slower than its transpose,
  // and its rank-6 transpose ~5× slower than the same permutation as rank 4 ([b·jh, jw, s, s·cin], swap the middle).
  const spread = g
    .reshape([b * jh, jw, stride, stride * cin])
    .transpose([0, 2, 1, 3])
    .reshape([b, jh * stride, jw * stride, cin]);
  // Usually nothing to crop (MobileNet's stride-2 first layer): a slice would still copy the whole gradient.
  if (before[0] === 0 && before[1] === 0 && jh * stride === inSize[0] && jw * stride === inSize[1]) return spread as tf.Tensor4D;
  return spread.slice([0, before[0], before[1], 0], [b, inSize[0], inSize[1], cin]) as tf.Tensor4D;
}

export interface ConvWeights {
  /** [kh, kw, Cin, Cout] for a full conv, [kh, kw, C, multiplier] for a depthwise one. */
  kernel: tf.Tensor4D;
  depthwise: boolean;
  stride: [number, number];
  padding: Padding;
  /** Added to the output (a conv bias, or a folded batch-norm shift); fused into the forward kernel. */
  bias?: tf.Tensor;
}

/**
 * A convolution with constant weights whose gradient is taken with respect to its input only. What the backward pass
 * needs from the weights (the transposed and spatially flipped kernel) is built here once, not per step, when an
 * owner is given: `keep` receives it so that the owner (the network) disposes it. The forward pass fuses the bias.
 * Backward passes are built from forward kernels every backend has:
 *  - depthwise: a depthwise conv of the zero-dilated upstream gradient with the flipped kernel (wasm has no
 *    DepthwiseConv2dNativeBackpropInput); strided, on wasm, one SIMD kernel instead (kernels/depthwise-backward.ts);
 *  - 1×1: a 1×1 conv with the transposed kernel (wasm's Conv2DBackpropInput is slow);
 *  - k×k, stride 1 (or unequal strides): the same dilate-and-flip construction with a full conv;
 *  - k×k with a square stride over 1: the sub-pixel form (phaseKernel), no zero insertion.
 */
/** A prepared conv; `clipped` is the same conv followed by ReLU (cap Infinity) or ReLU6, fused (see prepareConv). */
export interface PreparedConv {
  (x: tf.Tensor4D): tf.Tensor4D;
  /** conv then clippedRelu(·, cap, redirect) in one forward kernel; null where it cannot fuse (other caps, or a
   * depthwise conv with explicit padding, which tfjs's fused depthwise op does not take). */
  clipped(x: tf.Tensor4D, cap: number, redirect: boolean): tf.Tensor4D | null;
  /**
   * Output channels `channels` only (in that order), from the same slice of the kernel and bias: for a conv the
   * objective reads in part, 1/Cout-th of the work per channel, both ways. Full convs only (a depthwise conv's
   * channels need the same channels of its input: `channelwise`).
   */
  channels(x: tf.Tensor4D, channels: number[], cache?: SliceCache): tf.Tensor4D;
  /**
   * A depthwise conv (one kernel per channel): channels `channels` (in that order) from `x` holding only those
   * channels of the input, with the same slice of the kernel and bias, made once in `cache`.
   */
  channelwise(x: tf.Tensor4D, channels: number[], cache: SliceCache): tf.Tensor4D;
}

/**
 * The fused conv kernel itself (bias and activation in one pass), without tfjs's fused op around it: that op records
 * its own gradient (saving four tensors), which the input-only gradient here never uses, and inside a gradient
 * computation it splits any activation off into separate ops — so a fused ReLU6 would not be fused where it matters.
 */
function fusedConvKernel(x: tf.Tensor4D, w: ConvWeights, pad: TfPad, activation: 'linear' | 'relu' | 'relu6'): tf.Tensor4D {
  const inputs: tf.NamedTensorMap = w.bias ? { x, filter: w.kernel, bias: w.bias } : { x, filter: w.kernel };
  const attrs = { strides: w.stride, pad, dataFormat: 'NHWC', dilations: [1, 1], activation };
  const name = w.depthwise ? 'FusedDepthwiseConv2D' : 'FusedConv2D';
  return tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** The largest float32 below 6: a ReLU6 output below it was inside the active range (see prepareConv's `clipped`). */
const BELOW_SIX = 6 - 2 ** -21;

export function prepareConv(w: ConvWeights, keep?: <T extends tf.Tensor>(t: T) => T): PreparedConv {
  const { kernel, depthwise, stride, padding, bias } = w;
  const [kh, kw, C, M] = kernel.shape;
  const pointwise = !depthwise && kh === 1 && kw === 1 && stride[0] === 1 && stride[1] === 1 && !Array.isArray(padding);
  // Square strides over 1 of a full conv: sub-pixel backward (phaseKernel).
  const subPixel = !depthwise && stride[0] > 1 && stride[0] === stride[1];
  const makeBackKernel = () =>
    subPixel
      ? phaseKernel(kernel, stride)
      : depthwise
        ? (tf.reverse(kernel, [0, 1]).reshape([kh, kw, C * M, 1]) as tf.Tensor4D)
        : pointwise
          ? (tf.transpose(kernel, [0, 1, 3, 2]) as tf.Tensor4D)
          : (tf.reverse(tf.transpose(kernel, [0, 1, 3, 2]), [0, 1]) as tf.Tensor4D);
  // Without an owner (a one-off call), the backward kernel is built inside the backward pass, where it is disposed.
  const stored = keep ? keep(tf.keep(tf.tidy(makeBackKernel))) : null;
  const pad = tfPad(padding);
  const forward = (x: tf.Tensor4D): tf.Tensor4D => {
    if (depthwise) {
      // tfjs's fused depthwise op takes no explicit padding: that case adds its bias separately.
      if (bias && !Array.isArray(pad)) return fusedConvKernel(x, w, pad, 'linear');
      const y = tf.depthwiseConv2d(x, kernel, stride, pad);
      return bias ? tf.add(y, bias) : y;
    }
    return bias ? fusedConvKernel(x, w, pad, 'linear') : tf.conv2d(x, kernel, stride, pad);
  };
  /** The input gradient; with `part`, of the conv computing only those output channels (see `channels`). */
  const backward = (dy: tf.Tensor4D, inH: number, inW: number, part?: number[], cache?: SliceCache): tf.Tensor4D => {
    // A full conv's backward kernel has the output channels on axis 2 in every form (transposed, flipped, phases).
    const backKernel = part
      ? sliced(cache, kernel, `back ${part}`, () => tf.gather(stored ?? makeBackKernel(), part, 2) as tf.Tensor4D)
      : (stored ?? makeBackKernel());
    if (pointwise) return tf.conv2d(dy, backKernel, 1, 'valid');
    const gh = padGeometry(inH, kh, stride[0], 1, axisPadding(padding, 0));
    const gw = padGeometry(inW, kw, stride[1], 1, axisPadding(padding, 1));
    if (subPixel) return phaseBackward(dy, backKernel, stride[0], [gh.before, gw.before], [inH, inW]);
    // A strided depthwise conv on wasm: one SIMD kernel that visits only the taps that exist.
    const strided = depthwise && (stride[0] > 1 || stride[1] > 1);
    const direct = strided ? depthwiseBackwardKernel(dy, kernel, stride, [gh.before, gw.before], [inH, inW]) : null;
    if (direct) return direct;
    const { t, pads } = dilateForBackward(dy, stride, [kh, kw], [gh.before, gw.before], [inH, inW]);
    const p = tfPad(pads);
    if (!depthwise) return tf.conv2d(t, backKernel, 1, p);
    const g = tf.depthwiseConv2d(t, backKernel, 1, p);
    if (M === 1) return g;
    const [b, h, ww] = g.shape;
    return g.reshape([b, h, ww, C, M]).sum(4);
  };
  const run = (x: tf.Tensor4D) => {
    const [, inH, inW] = x.shape;
    const f: GradFunc = (input) => ({
      value: forward(input as tf.Tensor4D),
      gradFunc: (dy: tf.Tensor) => backward(dy as tf.Tensor4D, inH, inW),
    });
    return tf.customGrad(f)(x) as tf.Tensor4D;
  };
  // With the activation fused into the conv's kernel, the backward masks dy by the output: y > 0 where x > 0, and for
  // ReLU6 y < 6 where x < 6 (y = 6 exactly is the clipped part; x = 6 itself, where the unfused op passes dy, is one
  // value out of a continuum). The redirected gradient reads the same two facts off y.
  const clipped = (x: tf.Tensor4D, cap: number, redirect: boolean): tf.Tensor4D | null => {
    if ((cap !== 6 && cap !== Infinity) || (depthwise && Array.isArray(pad))) return null;
    const [, inH, inW] = x.shape;
    const below = cap === 6 ? BELOW_SIX : Infinity;
    const f: GradFunc = (...args) => {
      const input = args[0] as tf.Tensor4D;
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const y = fusedConvKernel(input, w, pad, cap === 6 ? 'relu6' : 'relu');
      save([y]);
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
        return backward(clippedReluGrad(saved[0], dy, below, redirect) as tf.Tensor4D, inH, inW);
      };
      return { value: y, gradFunc };
    };
    return tf.customGrad(f)(x) as tf.Tensor4D;
  };
  const channels = (x: tf.Tensor4D, list: number[], cache?: SliceCache): tf.Tensor4D => {
    if (depthwise) throw new Error('internal: a depthwise conv computes channels from the same channels (channelwise)');
    const [, inH, inW] = x.shape;
    const part = sliced(cache, kernel, `forward ${list}`, () => tf.gather(kernel, list, 3) as tf.Tensor4D);
    const f: GradFunc = (input) => ({
      value: tf.conv2d(input as tf.Tensor4D, part, stride, pad),
      gradFunc: (dy: tf.Tensor) => backward(dy as tf.Tensor4D, inH, inW, list, cache),
    });
    return withBias(tf.customGrad(f)(x) as tf.Tensor4D, list, cache);
  };
  /**
   * A slice's bias, added after the conv, not fused: wasm's Gather leaves its rank-4 working shape in the backend's
   * record of its output, where wasm's FusedConv2D checks that a bias has rank 1 (and this output is small).
   */
  const withBias = (y: tf.Tensor4D, list: number[], cache: SliceCache | undefined): tf.Tensor4D =>
    bias ? (tf.add(y, channelSlice(cache, bias, list)) as tf.Tensor4D) : y;
  const channelwise = (x: tf.Tensor4D, list: number[], cache: SliceCache): tf.Tensor4D => {
    if (!depthwise || M !== 1) throw new Error('internal: only a depthwise conv of multiplier 1 is channelwise');
    const part = cache.memo(kernel, `channelwise ${list}`, () =>
      prepareConv({ kernel: cache.own(tf.keep(tf.gather(kernel, list, 2))), depthwise, stride, padding }, (t) => cache.own(t)),
    );
    return withBias(part(x), list, cache);
  };
  return Object.assign(run, { clipped, channels, channelwise });
}

/** Depthwise conv (kernel [kh, kw, C, M]) with an input-only gradient; backward kernel built per call. */
export function depthwiseConv(x: tf.Tensor4D, kernel: tf.Tensor4D, stride: [number, number], padding: Padding): tf.Tensor4D {
  return prepareConv({ kernel, depthwise: true, stride, padding })(x);
}

/** Channels `channels` of a depthwise conv of multiplier 1 from those of its input (PreparedConv.channelwise). */
export function depthwiseChannels(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  stride: [number, number],
  padding: Padding,
  channels: number[],
  cache: SliceCache,
): tf.Tensor4D {
  return prepareConv({ kernel, depthwise: true, stride, padding }).channelwise(x, channels, cache);
}

/** Output channels `channels` of a full conv (see PreparedConv.channels); backward kernel built per call. */
export function convChannels(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  stride: [number, number],
  padding: Padding,
  channels: number[],
  cache?: SliceCache,
): tf.Tensor4D {
  return prepareConv({ kernel, depthwise: false, stride, padding }).channels(x, channels, cache);
}

/** Full conv (kernel [kh, kw, Cin, Cout]) with an input-only gradient; backward kernel built per call. */
export function conv(x: tf.Tensor4D, kernel: tf.Tensor4D, stride: [number, number], padding: Padding): tf.Tensor4D {
  return prepareConv({ kernel, depthwise: false, stride, padding })(x);
}
