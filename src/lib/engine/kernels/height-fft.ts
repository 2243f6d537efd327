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
import * as tf from '@tensorflow/tfjs';
import { ensureKernels, JS_BACKENDS, jsKernel, linearKernelPair, type JsBackendName } from './heap.ts';
import { heapKernel, heapOffset } from './simd/heap-module.ts';

const FORWARD = 'FeaturescopeHeightFft';
const ADJOINT = 'FeaturescopeHeightFftAdjoint';
const SIMD_ID = 'fft';

/** Buffers an operation reads or writes: the kernel's input, a scratch array, its output. */
type Buf = 0 | 1 | 2;
const IN: Buf = 0;
const TMP: Buf = 1;
const OUT: Buf = 2;

/** Offsets are in floats. A block view: `outer` blocks of `len` contiguous values, `stride` apart. */
interface Block {
  buf: Buf;
  re: number;
  im: number;
  stride: number;
}
type Op =
  | { kind: 'butterfly'; a: number; b: number; im: number; len: number; wr: number; wi: number }
  | { kind: 'caxpy'; src: Block; dst: Block; outer: number; len: number; cr: number; ci: number; acc: boolean };

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

function bitReverse(i: number, bits: number): number {
  let r = 0;
  for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
  return r;
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
  for (let size = 2; size <= l; size *= 2) {
    for (let k = 0; k < size / 2; k++) {
      const angle = (sign * 2 * Math.PI * k) / size;
      const [wr, wi] = [Math.cos(angle), Math.sin(angle)];
      for (let block = 0; block < m; block++)
        for (let start = block * l; start < (block + 1) * l; start += size) {
          const a = (start + k) * cols;
          ops.push({ kind: 'butterfly', a, b: a + (size / 2) * cols, im: s.h * cols, len: cols, wr, wi });
        }
    }
  }
  for (let y = 0; y < s.h; y++)
    for (let k2 = 0; k2 < m; k2++) {
      const angle = (sign * 2 * Math.PI * ((y * k2) % s.h)) / s.h;
      const src = spectrumRow(TMP, s, k2 * l + (y % l));
      ops.push({ kind: 'caxpy', src, dst: outRow(OUT, s, y), ...blocks, cr: Math.cos(angle), ci: Math.sin(angle), acc: k2 > 0 });
    }
  return ops;
}

const plans = new Map<string, Op[]>();
function plan(s: FftShape, adjoint: boolean): Op[] {
  const key = `${s.h},${s.n},${s.wHalf},${adjoint}`;
  let ops = plans.get(key);
  if (!ops) plans.set(key, (ops = planOps(s, adjoint)));
  return ops;
}

type ButterflyFn = (a: number, b: number, im: number, len: number, wr: number, wi: number) => void;
type CaxpyFn = (...args: number[]) => void;

/**
 * A plan as one flat array for the heap loop, WIDTH numbers per op with byte offsets pre-multiplied: a butterfly is
 * [0, a, b, im, len, wr, wi], a copy-and-scale [1, srcBuf, src, srcIm, srcStride, dstBuf, dst, dstIm, dstStride,
 * outer, len, cr, ci, acc]. The op objects cost ~1400 property walks and 800 argument arrays per step at 128 px.
 */
const WIDTH = 14;
const flatPlans = new WeakMap<Op[], Float64Array>();
function flat(ops: Op[]): Float64Array {
  let f = flatPlans.get(ops);
  if (f) return f;
  f = new Float64Array(ops.length * WIDTH);
  ops.forEach((op, i) => {
    const row =
      op.kind === 'butterfly'
        ? [0, op.a * 4, op.b * 4, op.im * 4, op.len, op.wr, op.wi]
        : [
            ...[1, op.src.buf, op.src.re * 4, (op.src.im - op.src.re) * 4, op.src.stride * 4],
            ...[op.dst.buf, op.dst.re * 4, (op.dst.im - op.dst.re) * 4, op.dst.stride * 4],
            ...[op.outer, op.len, op.cr, op.ci, op.acc ? 1 : 0],
          ];
    f!.set(row, i * WIDTH);
  });
  flatPlans.set(ops, f);
  return f;
}

/** Runs a plan on the wasm heap: buffers are byte offsets, the loops are the SIMD exports. */
function runOnHeap(exports: WebAssembly.Exports, ops: Op[], bases: number[]): void {
  const butterfly = exports.butterfly as ButterflyFn;
  const caxpy = exports.caxpy as CaxpyFn;
  const tmp = bases[TMP];
  const f = flat(ops);
  for (let i = 0; i < f.length; i += WIDTH) {
    if (f[i] === 0) butterfly(tmp + f[i + 1], tmp + f[i + 2], f[i + 3], f[i + 4], f[i + 5], f[i + 6]);
    else
      // prettier-ignore
      caxpy(bases[f[i + 1]] + f[i + 2], f[i + 3], f[i + 4], bases[f[i + 5]] + f[i + 6], f[i + 7], f[i + 8], f[i + 9], f[i + 10], f[i + 11], f[i + 12], f[i + 13]);
  }
}

/** The same plan in JavaScript over three arrays (cpu, and the reference the SIMD loops are tested against). */
export function runInJs(ops: Op[], arrays: Float32Array[]): void {
  const tmp = arrays[TMP];
  for (const op of ops) {
    if (op.kind === 'butterfly') {
      const { a, b, im, len, wr, wi } = op;
      for (let i = 0; i < len; i++) {
        const br = tmp[b + i];
        const bi = tmp[b + im + i];
        const tr = wr * br - wi * bi;
        const ti = wr * bi + wi * br;
        const ar = tmp[a + i];
        const ai = tmp[a + im + i];
        tmp[a + i] = ar + tr;
        tmp[a + im + i] = ai + ti;
        tmp[b + i] = ar - tr;
        tmp[b + im + i] = ai - ti;
      }
      continue;
    }
    const { src, dst, outer, len, cr, ci, acc } = op;
    const [x, y] = [arrays[src.buf], arrays[dst.buf]];
    for (let o = 0; o < outer; o++) {
      const s = o * src.stride;
      const d = o * dst.stride;
      for (let i = 0; i < len; i++) {
        const xr = x[src.re + s + i];
        const xi = x[src.im + s + i];
        const yr = cr * xr - ci * xi;
        const yi = cr * xi + ci * xr;
        y[dst.re + d + i] = acc ? y[dst.re + d + i] + yr : yr;
        y[dst.im + d + i] = acc ? y[dst.im + d + i] + yi : yi;
      }
    }
  }
}

interface FftAttrs {
  shape: FftShape;
}
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

function kernelFunc(adjoint: boolean, backendName: JsBackendName): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const s = (attrs as unknown as FftAttrs).shape;
    const outShape = adjoint ? [2 * s.h, s.n * s.wHalf] : [s.n * s.h, 2 * s.wHalf];
    const ops = plan(s, adjoint);
    if (backendName === 'cpu') {
      const tmp = new Float32Array(2 * s.h * s.n * s.wHalf);
      return jsKernel('cpu', backend, [x], outShape, ([input], out) => runInJs(ops, [input, tmp, out]));
    }
    const b = backend as WasmBackendLike;
    const out = b.makeOutput(outShape, 'float32');
    const tmp = b.makeOutput(outShape, 'float32');
    try {
      const bases = [x, tmp, out].map((t) => heapOffset(backend, t.dataId));
      runOnHeap(heapKernel(backend, SIMD_ID)!, ops, bases);
    } finally {
      b.disposeData(tmp.dataId, true);
    }
    return out;
  };
}

const KERNELS: tf.KernelConfig[] = JS_BACKENDS.flatMap((backendName) => [
  { kernelName: FORWARD, backendName, kernelFunc: kernelFunc(false, backendName) },
  { kernelName: ADJOINT, backendName, kernelFunc: kernelFunc(true, backendName) },
]);

/** True where the kernel runs: cpu, and wasm when its SIMD module binds to the heap; h must factor (fftFactors). */
export function heightFftAvailable(h: number): boolean {
  if (!fftFactors(h)) return false;
  const name = tf.getBackend();
  return name === 'cpu' || (name === 'wasm' && heapKernel(tf.backend(), SIMD_ID) !== null);
}

/**
 * The unnormalized inverse DFT along the height of a complex spectrum in the spectrum layout [2h, n·wHalf], returned
 * in the row layout [n·h, 2·wHalf]; differentiable (the adjoint kernel is its gradient). Check heightFftAvailable
 * first.
 */
export function heightFft(spectrum: tf.Tensor2D, shape: FftShape): tf.Tensor2D {
  ensureKernels(KERNELS);
  return linearKernelPair(spectrum, FORWARD, ADJOINT, { shape });
}
