/**
 * What the Fourier parameterization's FFT kernels (height-fft.ts, width-fft.ts) share: a transform is a plan, a list
 * of two kinds of operation over three buffers (the kernel's input, a scratch array, its output), run by the SIMD
 * loops of simd/fft.wat on wasm and by plain JavaScript on cpu. A plan is built once per shape and direction.
 *  - butterfly: one radix-2 butterfly of two scratch rows a and b with the twiddle w (t = w·b; a ← a + t; b ← a − t),
 *    `len` values each, the imaginary parts `im` further on;
 *  - caxpy: dst ← c·src (or dst += c·src) for a complex constant c, over `outer` blocks of `len` values, which copies
 *    between memory layouts, scales, and combines blocks;
 *  - column: a strided column times a scale into a contiguous line (or a line back into a column), real values.
 * Two tricks with caxpy, which both runners honour because they read before they write and write the imaginary part
 * last: a block whose imaginary part is its real part (im = re) with c = s(1 − i)/2 reads a real signal as the
 * complex s·x + 0i; a destination with im = re and c = i keeps only the real part of the source.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureKernels, JS_BACKENDS, jsKernel, linearKernelPair, type JsBackendName } from './heap.ts';
import { heapKernel, heapOffset } from './simd/heap-module.ts';

/** Buffers an operation reads or writes: the kernel's input, a scratch array, its output. */
export type Buf = 0 | 1 | 2;
export const IN: Buf = 0;
export const TMP: Buf = 1;
export const OUT: Buf = 2;

/** Offsets are in floats. A block view: `outer` blocks of `len` contiguous values, `stride` apart. */
export interface Block {
  buf: Buf;
  re: number;
  im: number;
  stride: number;
}
/** Offsets in floats: `rows` values of a column, `stride` apart, and a contiguous line of as many. */
export interface Column {
  buf: Buf;
  at: number;
  stride: number;
}
export type Op =
  | { kind: 'butterfly'; a: number; b: number; im: number; len: number; wr: number; wi: number }
  | { kind: 'caxpy'; src: Block; dst: Block; outer: number; len: number; cr: number; ci: number; acc: boolean }
  | { kind: 'column'; out: boolean; col: Column; line: { buf: Buf; at: number }; rows: number; scale: number };

export function bitReverse(i: number, bits: number): number {
  let r = 0;
  for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
  return r;
}

/**
 * The radix-2 stages of `blocks` transforms of length l on bit-reversed scratch rows (row r at r·cols floats, the
 * imaginary parts im floats further on), each row `cols` values wide; sign +1 for the inverse DFT, −1 for the forward.
 */
export function radix2Stages(l: number, blocks: number, cols: number, im: number, sign: number): Op[] {
  const ops: Op[] = [];
  for (let size = 2; size <= l; size *= 2) {
    for (let k = 0; k < size / 2; k++) {
      const angle = (sign * 2 * Math.PI * k) / size;
      const [wr, wi] = [Math.cos(angle), Math.sin(angle)];
      for (let block = 0; block < blocks; block++)
        for (let start = block * l; start < (block + 1) * l; start += size) {
          const a = (start + k) * cols;
          ops.push({ kind: 'butterfly', a, b: a + (size / 2) * cols, im, len: cols, wr, wi });
        }
    }
  }
  return ops;
}

type ButterflyFn = (a: number, b: number, im: number, len: number, wr: number, wi: number) => void;
type CaxpyFn = (...args: number[]) => void;
type ColumnFn = (col: number, stride: number, line: number, rows: number, scale: number) => void;

/**
 * A plan as one flat array for the heap loop, WIDTH numbers per op with byte offsets pre-multiplied: a butterfly is
 * [0, a, b, im, len, wr, wi], a copy-and-scale [1, srcBuf, src, srcIm, srcStride, dstBuf, dst, dstIm, dstStride,
 * outer, len, cr, ci, acc], a column copy [2, out, colBuf, col, stride, lineBuf, line, rows, scale]. The op objects
 * cost ~1400 property walks and 800 argument arrays per step at 128 px.
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
        : op.kind === 'column'
          ? [2, op.out ? 1 : 0, op.col.buf, op.col.at * 4, op.col.stride * 4, op.line.buf, op.line.at * 4, op.rows, op.scale]
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
  const [columnIn, columnOut] = [exports.columnIn as ColumnFn, exports.columnOut as ColumnFn];
  const tmp = bases[TMP];
  const f = flat(ops);
  for (let i = 0; i < f.length; i += WIDTH) {
    if (f[i] === 0) butterfly(tmp + f[i + 1], tmp + f[i + 2], f[i + 3], f[i + 4], f[i + 5], f[i + 6]);
    else if (f[i] === 2)
      (f[i + 1] ? columnOut : columnIn)(bases[f[i + 2]] + f[i + 3], f[i + 4], bases[f[i + 5]] + f[i + 6], f[i + 7], f[i + 8]);
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
    if (op.kind === 'column') {
      const [c, l] = [arrays[op.col.buf], arrays[op.line.buf]];
      for (let r = 0; r < op.rows; r++) {
        const at = op.col.at + r * op.col.stride;
        if (op.out) c[at] = l[op.line.at + r] * op.scale;
        else l[op.line.at + r] = c[at] * op.scale;
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

/** One transform as a kernel pair: its shapes, scratch size and plan per direction. */
export interface PlannedTransform<S> {
  forward: string;
  adjoint: string;
  /** Output shape of a direction. */
  outShape(s: S, adjoint: boolean): number[];
  /** Floats of scratch a direction needs. */
  scratch(s: S, adjoint: boolean): number;
  plan(s: S, adjoint: boolean): Op[];
  /** A cache key for a shape. */
  key(s: S): string;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** The kernel configs of a planned transform on wasm (SIMD plan runner) and cpu (JavaScript plan runner). */
function kernelConfigs<S>(t: PlannedTransform<S>): tf.KernelConfig[] {
  const plans = new Map<string, Op[]>();
  const plan = (s: S, adjoint: boolean) => {
    const key = `${t.key(s)},${adjoint}`;
    let ops = plans.get(key);
    if (!ops) plans.set(key, (ops = t.plan(s, adjoint)));
    return ops;
  };
  const kernelFunc =
    (adjoint: boolean, backendName: JsBackendName): tf.KernelFunc =>
    ({ inputs, backend, attrs }) => {
      const { x } = inputs as { x: tf.TensorInfo };
      const s = (attrs as unknown as { shape: S }).shape;
      const outShape = t.outShape(s, adjoint);
      const ops = plan(s, adjoint);
      if (backendName === 'cpu') {
        const tmp = new Float32Array(t.scratch(s, adjoint));
        return jsKernel('cpu', backend, [x], outShape, ([input], out) => runInJs(ops, [input, tmp, out]));
      }
      const b = backend as WasmBackendLike;
      const out = b.makeOutput(outShape, 'float32');
      const tmp = b.makeOutput([t.scratch(s, adjoint)], 'float32');
      try {
        const bases = [x, tmp, out].map((info) => heapOffset(backend, info.dataId));
        runOnHeap(heapKernel(backend, SIMD_ID)!, ops, bases);
      } finally {
        b.disposeData(tmp.dataId, true);
      }
      return out;
    };
  return JS_BACKENDS.flatMap((backendName) => [
    { kernelName: t.forward, backendName, kernelFunc: kernelFunc(false, backendName) },
    { kernelName: t.adjoint, backendName, kernelFunc: kernelFunc(true, backendName) },
  ]);
}

const SIMD_ID = 'fft';

/** True where planned transforms run: cpu, and wasm when the SIMD module binds to the heap. */
export function plannedTransformsAvailable(): boolean {
  const name = tf.getBackend();
  return name === 'cpu' || (name === 'wasm' && heapKernel(tf.backend(), SIMD_ID) !== null);
}

/** Each transform's kernel configs, made once (they hold its plan cache). */
const registered = new Map<PlannedTransform<unknown>, tf.KernelConfig[]>();

/** `x` through a planned transform, differentiable (the adjoint kernel is its gradient). */
export function plannedTransform<S, T extends tf.Tensor>(t: PlannedTransform<S>, x: T, shape: S): T {
  let configs = registered.get(t);
  if (!configs) registered.set(t, (configs = kernelConfigs(t)));
  ensureKernels(configs);
  return linearKernelPair(x, t.forward, t.adjoint, { shape });
}
