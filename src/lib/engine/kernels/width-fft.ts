/**
 * The Fourier parameterization's transform along the image width (param.ts) as an FFT kernel for the wasm and cpu
 * backends: the inverse real DFT of each image row's half spectrum (wHalf = w/2 + 1 complex values in, w real values
 * out), x[t] = Σ_k c_k·(Zr[k]·cos(2πkt/w) − Zi[k]·sin(2πkt/w)) / w with c_k = 1 for the DC and Nyquist terms, 2 else.
 * As a dense matrix product (param.ts's M2, still the form on GPU backends and at other widths) it cost 2·wHalf·w
 * multiply-adds per row both ways, a tenth of a single-threaded step at 128 px, and more per image the larger the
 * batch (the matrix left the cache).
 *
 * The rows are transformed in tiles of up to TILE rows: each tile is copied column by column into a scratch array
 * [2, w, rows of the tile] (bit-reversed, scaled by c_k/w, the bins past the Nyquist zero), so that the radix-2 stages
 * run over the tile's rows four at a time (simd/fft.wat), and the real part of the result is copied back column by
 * column. x = Re(Σ_{k<wHalf} c_k·Z[k]·e^{2πikt/w}) / w is the formula above, so no Hermitian half is needed. The
 * adjoint reads a row's w real values as complex ones (imaginary parts zero), runs the stages with the other sign (a
 * forward DFT), and keeps bins 0..wHalf−1 scaled by c_k/w: the transpose of M2. Powers of two (64, 128, 256 px) only.
 */
import type * as tf from '@tensorflow/tfjs';
import { bitReverse, IN, OUT, plannedTransform, plannedTransformsAvailable, radix2Stages, TMP } from './fft-plan.ts';
import type { Op, PlannedTransform } from './fft-plan.ts';

export interface WidthFftShape {
  /** Image rows: images × planes × height. */
  rows: number;
  w: number;
}

/** Rows per tile: the scratch array of a tile at 128 px is 2·128·TILE floats (512 KB). */
const TILE = 512;

/** True for the widths the kernel transforms: powers of two from 4. */
export function widthFftSize(w: number): boolean {
  return w >= 4 && (w & (w - 1)) === 0;
}

/** c_k / w: the weight of bin k in the inverse real DFT. */
function binWeight(k: number, w: number): number {
  return (k === 0 || k === w / 2 ? 1 : 2) / w;
}

/** One tile's operations (rows r0 .. r0 + t − 1); the scratch is [2, w, t], a line of t values per scratch row. */
function tileOps(w: number, r0: number, t: number, adjoint: boolean): Op[] {
  const wHalf = w / 2 + 1;
  const bits = Math.log2(w);
  const im = w * t;
  const ops: Op[] = [];
  /** A column of the input or output rows (first row r0) and scratch line `line`. */
  const column = (out: boolean, at: number, stride: number, line: number, scale: number) =>
    ops.push({
      kind: 'column',
      out,
      col: { buf: out ? OUT : IN, at, stride },
      line: { buf: TMP, at: line * t },
      rows: t,
      scale,
    });
  /** Zeros over `len` scratch values from `at`: 0 times the input (its values are finite), real and imaginary alike. */
  const zero = (at: number, len: number) =>
    ops.push({
      kind: 'caxpy',
      src: { buf: IN, re: 0, im: 0, stride: 0 },
      dst: { buf: TMP, re: at, im: at, stride: 0 },
      ...{ outer: 1, len, cr: 0, ci: 0, acc: false },
    });
  const spectrumRow = r0 * 2 * wHalf;
  if (!adjoint) {
    for (let k = 0; k < wHalf; k++) {
      const line = bitReverse(k, bits);
      column(false, spectrumRow + k, 2 * wHalf, line, binWeight(k, w));
      column(false, spectrumRow + wHalf + k, 2 * wHalf, w + line, binWeight(k, w));
    }
    // Bins past the Nyquist term are zero.
    for (let k = wHalf; k < w; k++) {
      const line = bitReverse(k, bits);
      zero(line * t, t);
      zero((w + line) * t, t);
    }
  } else {
    // A real row: its values are the real parts, the imaginary parts zero.
    for (let x = 0; x < w; x++) column(false, r0 * w + x, w, bitReverse(x, bits), 1);
    zero(im, im);
  }
  ops.push(...radix2Stages(w, 1, t, im, adjoint ? -1 : 1));
  if (!adjoint) {
    // The real part only.
    for (let x = 0; x < w; x++) column(true, r0 * w + x, w, x, 1);
  } else {
    for (let k = 0; k < wHalf; k++) {
      column(true, spectrumRow + k, 2 * wHalf, k, binWeight(k, w));
      column(true, spectrumRow + wHalf + k, 2 * wHalf, w + k, binWeight(k, w));
    }
  }
  return ops;
}

const TRANSFORM: PlannedTransform<WidthFftShape> = {
  forward: 'FeaturescopeWidthFft',
  adjoint: 'FeaturescopeWidthFftAdjoint',
  outShape: (s, adjoint) => (adjoint ? [s.rows, 2 * (s.w / 2 + 1)] : [s.rows, s.w]),
  scratch: (s) => 2 * s.w * Math.min(s.rows, TILE),
  plan: (s, adjoint) => {
    const ops: Op[] = [];
    for (let r0 = 0; r0 < s.rows; r0 += TILE) ops.push(...tileOps(s.w, r0, Math.min(TILE, s.rows - r0), adjoint));
    return ops;
  },
  key: (s) => `${s.rows},${s.w}`,
};

/** True where the kernel runs: cpu, and wasm when its SIMD module binds to the heap; w a power of two. */
export function widthFftAvailable(w: number): boolean {
  return widthFftSize(w) && plannedTransformsAvailable();
}

/**
 * The inverse real DFT along the width of rows [rows, 2·wHalf] (each row's wHalf real parts, then its wHalf imaginary
 * parts: height-fft.ts's row layout), normalized by 1/w, as [rows, w]; differentiable. Check widthFftAvailable first.
 */
export function widthFft(rows: tf.Tensor2D, shape: WidthFftShape): tf.Tensor2D {
  return plannedTransform(TRANSFORM, rows, shape);
}
