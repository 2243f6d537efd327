/**
 * Image parameterizations: what the optimizer actually changes, and how it becomes an RGB image in [0,1].
 *  - pixel: one value per pixel and colour;
 *  - fourier: a half spectrum per colour plane scaled by 1/f^decay, turned into pixels by an inverse real DFT (tfjs has
 *    no gradient for its FFT ops): on wasm and cpu by FFT kernels along the height (kernels/height-fft.ts) and, at
 *    power-of-two widths, along the width (kernels/width-fft.ts); otherwise by matrix products.
 * Both then decorrelate colour (Lucid's ImageNet colour matrix) and squash with a sigmoid. A grayscale network gets one
 * plane per image, repeated into R, G and B, so the image shown is exactly the image the network sees.
 */
import * as tf from '@tensorflow/tfjs';
import { matMulConstLeft, matMulConstRight } from './ops.ts';
import { heightFft, heightFftAvailable } from './kernels/height-fft.ts';
import { widthFft, widthFftAvailable } from './kernels/width-fft.ts';
import { planesToPixels, planesToPixelsAvailable } from './kernels/planes-to-pixels.ts';

export type ParamKind = 'fourier' | 'pixel';

export interface ParamOptions {
  kind: ParamKind;
  height: number;
  width: number;
  /** One seed per batch item: item i starts from the same noise whether it is rendered alone or in a batch. */
  seeds: number[];
  /** Standard deviation of the initial values (Lucid: 0.01). */
  sd?: number;
  /** Exponent of the 1/f spectrum scaling (Lucid: 1). */
  decayPower?: number;
  /** Colour decorrelation (Lucid: on; meaningless for one plane). */
  decorrelate?: boolean;
  /** Planes per image: 3 (colour) or 1 (grayscale); the image returned is RGB either way. */
  planes?: 1 | 3;
}

export interface ImageParam {
  /** The tensor the optimizer updates. */
  readonly variable: tf.Variable;
  /** Image batch [b, h, w, 3] in [0,1] computed from a value of the parameter tensor (differentiable). */
  toImage(value: tf.Tensor): tf.Tensor4D;
  dispose(): void;
}

/** Square root of the ImageNet colour correlation, as in Lucid's param/color.py. */
const COLOR_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];

/** The colour matrix divided by its largest column norm, transposed for a row-vector product. */
export function colorMatrixT(): number[][] {
  const colNorm = [0, 1, 2].map((j) => Math.hypot(COLOR_SQRT[0][j], COLOR_SQRT[1][j], COLOR_SQRT[2][j]));
  const maxNorm = Math.max(...colNorm);
  return [0, 1, 2].map((j) => [0, 1, 2].map((i) => COLOR_SQRT[i][j] / maxNorm));
}

/** Frequencies as numpy's fftfreq(n) gives them, in cycles per sample. */
function fftfreq(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i <= Math.floor((n - 1) / 2) ? i : i - n) / n);
}

/** Lucid's spectrum scale 1/max(f, 1/max(h,w))^decay · sqrt(h·w), over [h, w/2+1]. */
export function spectrumScale(h: number, w: number, decayPower: number): Float32Array {
  const fy = fftfreq(h);
  const wHalf = Math.floor(w / 2) + 1;
  const fx = Array.from({ length: wHalf }, (_, i) => i / w);
  const out = new Float32Array(h * wHalf);
  const floor = 1 / Math.max(h, w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < wHalf; x++) {
      const f = Math.max(Math.hypot(fy[y], fx[x]), floor);
      out[y * wHalf + x] = Math.sqrt(h * w) / Math.pow(f, decayPower);
    }
  }
  return out;
}

/**
 * Inverse DFT matrices. Along the height (full complex spectrum): [Zr; Zi] = M1 · [Xr; Xi] with
 * M1 = [[C, −S], [S, C]] / h. Along the width (half spectrum of a real signal): img = [Zr, Zi] · M2 with
 * M2 = [[c_k cos], [−c_k sin]] / w, c_k = 1 for the DC and Nyquist terms and 2 otherwise.
 */
export function idftMatrices(h: number, w: number): { m1: Float32Array; m2: Float32Array; wHalf: number } {
  return { m1: heightIdft(h), ...widthIdft(w) };
}

/** M1 (see idftMatrices): [2h, 2h]. */
function heightIdft(h: number): Float32Array {
  const m1 = new Float32Array(2 * h * 2 * h);
  for (let y = 0; y < h; y++) {
    for (let k = 0; k < h; k++) {
      const a = (2 * Math.PI * k * y) / h;
      const c = Math.cos(a) / h;
      const s = Math.sin(a) / h;
      m1[y * 2 * h + k] = c;
      m1[y * 2 * h + h + k] = -s;
      m1[(h + y) * 2 * h + k] = s;
      m1[(h + y) * 2 * h + h + k] = c;
    }
  }
  return m1;
}

/** M2 (see idftMatrices): [2·wHalf, w]. */
function widthIdft(w: number): { m2: Float32Array; wHalf: number } {
  const wHalf = Math.floor(w / 2) + 1;
  const m2 = new Float32Array(2 * wHalf * w);
  for (let k = 0; k < wHalf; k++) {
    const ck = k === 0 || (w % 2 === 0 && k === w / 2) ? 1 : 2;
    for (let x = 0; x < w; x++) {
      const a = (2 * Math.PI * k * x) / w;
      m2[k * w + x] = (ck * Math.cos(a)) / w;
      m2[(wHalf + k) * w + x] = (-ck * Math.sin(a)) / w;
    }
  }
  return { m2, wHalf };
}

/** Colour decorrelation (when `color` is given) and the sigmoid to [0,1]; one plane becomes gray RGB. */
function toRgb(raw: tf.Tensor4D, color: { m: tf.Tensor2D; mT: tf.Tensor2D } | null): tf.Tensor4D {
  if (raw.shape[3] === 1) {
    const gray = tf.sigmoid(raw);
    return tf.concat([gray, gray, gray], 3);
  }
  if (!color) return tf.sigmoid(raw);
  const [b, h, w] = raw.shape;
  const flat = raw.reshape([b * h * w, 3]) as tf.Tensor2D;
  return tf.sigmoid(matMulConstRight(flat, color.m, color.mT).reshape([b, h, w, 3]));
}

/** The colour matrix as numbers (for the wasm kernel) and as constant tensors (for the op formulation). */
function colorConstants(decorrelate: boolean) {
  if (!decorrelate) return null;
  const rows = colorMatrixT();
  const m = tf.tensor2d(rows);
  return { rows, m, mT: tf.transpose(m) as tf.Tensor2D };
}

export function createParam(o: ParamOptions): ImageParam {
  const sd = o.sd ?? 0.01;
  const planes = o.planes ?? 3;
  const decorrelate = planes === 3 && (o.decorrelate ?? true);
  const { height: h, width: w } = o;
  const b = o.seeds.length;
  const color = colorConstants(decorrelate);
  const disposeColor = () => {
    color?.m.dispose();
    color?.mT.dispose();
  };
  if (o.kind === 'pixel') {
    const init = tf.tidy(() => tf.concat(o.seeds.map((s) => tf.randomNormal([1, h, w, planes], 0, sd, 'float32', s))));
    const variable = tf.variable(init, true);
    init.dispose();
    return {
      variable,
      toImage: (v) => toRgb(v as tf.Tensor4D, color),
      dispose: () => {
        variable.dispose();
        disposeColor();
      },
    };
  }
  const { m2, wHalf } = widthIdft(w);
  const n = b * planes;
  // Layout [2h, n·wHalf]: rows are (real|imag, row frequency), columns (item, colour, column frequency).
  const init = tf.tidy(() =>
    tf.concat(
      o.seeds.map((s) => tf.randomNormal([2 * h, planes * wHalf], 0, sd, 'float32', s)),
      1,
    ),
  );
  const variable = tf.variable(init, true);
  init.dispose();
  const base = spectrumScale(h, w, o.decayPower ?? 1);
  const scaleData = new Float32Array(2 * h * n * wHalf);
  for (let r = 0; r < 2 * h; r++) {
    const y = r % h;
    for (let j = 0; j < n; j++) scaleData.set(base.subarray(y * wHalf, (y + 1) * wHalf), r * n * wHalf + j * wHalf);
  }
  // Lucid divides the image by 4 after the inverse transform, and the height transform's 1/h is left out of both of
  // its forms (FFT kernel, matrix): both constants are folded into the scale.
  for (let i = 0; i < scaleData.length; i++) scaleData[i] /= 4 * h;
  const scale = tf.tensor2d(scaleData, [2 * h, n * wHalf]);
  let heightMatrix: { m: tf.Tensor2D; mT: tf.Tensor2D } | null = null;
  const heightByMatrix = (x: tf.Tensor2D): tf.Tensor2D => {
    if (!heightMatrix) {
      // Built on first use (GPU backends, or sizes the FFT does not factor), kept past the caller's tidy.
      const m = tf.keep(
        tf.tensor2d(
          heightIdft(h).map((v) => v * h),
          [2 * h, 2 * h],
        ),
      );
      heightMatrix = { m, mT: tf.keep(tf.transpose(m) as tf.Tensor2D) };
    }
    const z = matMulConstLeft(heightMatrix.m, heightMatrix.mT, x); // [2h, n·wHalf]
    return z
      .reshape([2, h, n, wHalf])
      .transpose([2, 1, 0, 3])
      .reshape([n * h, 2 * wHalf]) as tf.Tensor2D;
  };
  const m2t = tf.tensor2d(m2, [2 * wHalf, w]);
  const m2T = tf.transpose(m2t) as tf.Tensor2D;
  return {
    variable,
    toImage: (v) => {
      const x = tf.mul(v, scale) as tf.Tensor2D;
      // Rows [n·h, 2·wHalf]: each image row's real and imaginary parts, ready for the width transform.
      const rows = heightFftAvailable(h) ? heightFft(x, { h, n, wHalf }) : heightByMatrix(x);
      const flat = widthFftAvailable(w) ? widthFft(rows, { rows: n * h, w }) : matMulConstRight(rows, m2t, m2T);
      const spatial = flat.reshape([b, planes, h, w]) as tf.Tensor4D;
      // Colour planes to pixels: on wasm one kernel mixes and interleaves them; elsewhere a transpose, then toRgb.
      if (color && planesToPixelsAvailable()) return tf.sigmoid(planesToPixels(spatial, color.rows));
      return toRgb(spatial.transpose([0, 2, 3, 1]) as tf.Tensor4D, color);
    },
    dispose: () => {
      for (const t of [variable, scale, m2t, m2T]) t.dispose();
      heightMatrix?.m.dispose();
      heightMatrix?.mT.dispose();
      disposeColor();
    },
  };
}
