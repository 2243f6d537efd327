/**
 * The Fourier parameterization's transform along the image height (param.ts) as an FFT kernel for the wasm and cpu
 * backends. As a dense matrix product (tfjs has no FFT gradient) it was the largest item after the network's own
 * convolutions: 2h × 2h multiply-adds per spectrum column, both ways, about a sixth of a batch-8 step at 128 px. Here
 * it is h = m·2^a: m interleaved radix-2 FFTs of length 2^a, then one m-point combine (m = 1 for 64 and 128 px;
 * 3, 5, 7 for 96, 160, 224). On wasm the two loops are hand-written SIMD (simd/fft.wat) over four columns at a time;
 * on cpu they are plain JavaScript.
 *
 * Two memory layouts of a complex [h, n·wHalf] array (n = images × planes, wHalf = spectrum columns per plane):
 *  - spectrum layout [2, h, n·wHalf]: the optimizer's variable (real rows, then imaginary rows);
 *  - row layout [n, h, 2, wHalf]: what the width transform multiplies, one image row's real and imaginary parts
 *    side by side, so the forward kernel's output needs no transpose.
 * The forward kernel is Z[y] = Σ_k X[k]·e^{+2πi·yk/h} (unnormalized: the caller folds 1/h into its spectrum scale),
 * spectrum layout in, row layout out; its adjoint is the same sum with e^{−2πi·yk/h}, row layout in, spectrum out.
 */
import type * as tf from '@tensorflow/tfjs';
import { bitReverse, IN, OUT, plannedTransform, plannedTransformsAvailable, radix2Stages, TMP } from './fft-plan.ts';
import type { Block, Buf, Op, PlannedTransform } from './fft-plan.ts';

export interface FftShape {
  h: number;
  /** Images × planes. */
  n: number;
  wHalf: number;
}

/** h = m·2^a with the odd part m small enough for a direct combine; null where the kernel does not apply. */
export function fftFactors(h: number): { m: number; l: number } | null {
  let l = 1;
  while (h % (l * 2) === 0) l *= 2;
  const m = h / l;
  return m <= 7 && l >= 2 ? { m, l } : null;
}

/** A row y of the spectrum layout, as `n` blocks of wHalf (for copies between layouts) or as one row of n·wHalf. */
function spectrumRow(buf: Buf, s: FftShape, y: number): Block {
  const cols = s.n * s.wHalf;
  return { buf, re: y * cols, im: (s.h + y) * cols, stride: s.wHalf };
}
function rowLayoutRow(buf: Buf, s: FftShape, y: number): Block {
  return { buf, re: y * 2 * s.wHalf, im: (y * 2 + 1) * s.wHalf, stride: s.h * 2 * s.wHalf };
}

/**
 * The operations of one transform: (1) copy input row k2 + m·k1 to scratch row k2·l + bitrev(k1), (2) radix-2
 * stages within each of the m scratch blocks, (3) output row y1 + l·y2 = Σ_k2 ω^{y·k2} · scratch row k2·l + y1.
 * Scratch is in the spectrum layout; input and output in the layouts of the direction.
 */
function planOps(s: FftShape, adjoint: boolean): Op[] {
  const { m, l } = fftFactors(s.h)!;
  const sign = adjoint ? -1 : 1;
  const inRow = adjoint ? rowLayoutRow : spectrumRow;
  const outRow = adjoint ? spectrumRow : rowLayoutRow;
  const bits = Math.log2(l);
  const blocks = { outer: s.n, len: s.wHalf };
  const ops: Op[] = [];
  for (let k2 = 0; k2 < m; k2++)
    for (let k1 = 0; k1 < l; k1++)
      ops.push({
        kind: 'caxpy',
        src: inRow(IN, s, k2 + m * k1),
        dst: spectrumRow(TMP, s, k2 * l + bitReverse(k1, bits)),
        ...blocks,
        cr: 1,
        ci: 0,
        acc: false,
      });
  const cols = s.n * s.wHalf;
  ops.push(...radix2Stages(l, m, cols, s.h * cols, sign));
  for (let y = 0; y < s.h; y++)
    for (let k2 = 0; k2 < m; k2++) {
      const angle = (sign * 2 * Math.PI * ((y * k2) % s.h)) / s.h;
      const src = spectrumRow(TMP, s, k2 * l + (y % l));
      ops.push({ kind: 'caxpy', src, dst: outRow(OUT, s, y), ...blocks, cr: Math.cos(angle), ci: Math.sin(angle), acc: k2 > 0 });
    }
  return ops;
}

const TRANSFORM: PlannedTransform<FftShape> = {
  forward: 'FeaturescopeHeightFft',
  adjoint: 'FeaturescopeHeightFftAdjoint',
  outShape: (s, adjoint) => (adjoint ? [2 * s.h, s.n * s.wHalf] : [s.n * s.h, 2 * s.wHalf]),
  scratch: (s) => 2 * s.h * s.n * s.wHalf,
  plan: planOps,
  key: (s) => `${s.h},${s.n},${s.wHalf}`,
};

/** True where the kernel runs: cpu, and wasm when its SIMD module binds to the heap; h must factor (fftFactors). */
export function heightFftAvailable(h: number): boolean {
  return fftFactors(h) !== null && plannedTransformsAvailable();
}

/**
 * The unnormalized inverse DFT along the height of a complex spectrum in the spectrum layout [2h, n·wHalf], returned
 * in the row layout [n·h, 2·wHalf]; differentiable (the adjoint kernel is its gradient). Check heightFftAvailable
 * first.
 */
export function heightFft(spectrum: tf.Tensor2D, shape: FftShape): tf.Tensor2D {
  return plannedTransform(TRANSFORM, spectrum, shape);
}
