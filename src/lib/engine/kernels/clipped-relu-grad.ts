/**
 * The clipped-ReLU backward, dy where 0 < x <= cap and 0 elsewhere, as one registered kernel: on wasm a hand-written
 * SIMD loop over the backend's heap (simd/clipped-relu-grad.wat), on cpu a plain loop. As tfjs ops it was five
 * element-wise passes per ReLU (step, subtract, step, subtract, multiply), each single-threaded on wasm. The
 * redirected version (Lucid's, used in the first steps of a render) is a second kernel: about fifteen passes as ops,
 * which made those steps cost 1.45 times an ordinary one.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureKernels, jsKernel, type WasmOutputs } from './heap.ts';
import { heapKernel, heapOffset } from './simd/heap-module.ts';

const KERNEL = 'FeaturescopeClippedReluGrad';
const REDIRECT_KERNEL = 'FeaturescopeClippedReluGradRedirect';
const SIMD_ID = 'clipped-relu-grad';

type GradFn = (x: number, dy: number, out: number, n: number, cap: number) => void;
type RedirectFn = (x: number, dy: number, out: number, items: number, perItem: number, cap: number) => void;

/** The redirected backward of one item (see the .wat file), in plain JavaScript for cpu. */
function redirectItem(xs: Float32Array, g: Float32Array, out: Float32Array, from: number, to: number, cap: number) {
  let alive = false;
  for (let i = from; i < to && !alive; i++) alive = g[i] !== 0 && xs[i] > 0 && xs[i] <= cap;
  for (let i = from; i < to; i++) {
    const x = xs[i];
    if (alive) out[i] = x > 0 && x <= cap ? g[i] : 0;
    else out[i] = x > cap ? Math.min(g[i], 0) : x <= 0 ? Math.max(g[i], 0) : g[i];
  }
}

interface Spec {
  name: string;
  /** Calls the SIMD export: heap offsets of x, dy and out, the item count, values per item, cap. */
  simd: (exports: WebAssembly.Exports, x: number, dy: number, out: number, items: number, per: number, cap: number) => void;
  /** The same in JavaScript over one item's range [from, to) (cpu). */
  js: (xs: Float32Array, g: Float32Array, out: Float32Array, from: number, to: number, cap: number) => void;
}

const SPECS: Spec[] = [
  {
    name: KERNEL,
    simd: (e, x, dy, out, items, per, cap) => (e.clippedReluGrad as GradFn)(x, dy, out, items * per, cap),
    js: (xs, g, out, from, to, cap) => {
      for (let i = from; i < to; i++) out[i] = xs[i] > 0 && xs[i] <= cap ? g[i] : 0;
    },
  },
  {
    name: REDIRECT_KERNEL,
    simd: (e, x, dy, out, items, per, cap) => (e.clippedReluGradRedirect as RedirectFn)(x, dy, out, items, per, cap),
    js: redirectItem,
  },
];

/** A spec's two kernels: SIMD on wasm's heap, plain JavaScript on cpu. */
function kernelsOf(spec: Spec): tf.KernelConfig[] {
  return [
    {
      kernelName: spec.name,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
        const out = (backend as WasmOutputs).makeOutput(x.shape, 'float32');
        const at = (t: tf.TensorInfo) => heapOffset(backend, t.dataId);
        const items = x.shape[0];
        const per = tf.util.sizeFromShape(x.shape) / items;
        spec.simd(heapKernel(backend, SIMD_ID)!, at(x), at(dy), at(out), items, per, (attrs as { cap: number }).cap);
        return out;
      },
    },
    {
      kernelName: spec.name,
      backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
        const cap = (attrs as { cap: number }).cap;
        const per = tf.util.sizeFromShape(x.shape) / x.shape[0];
        return jsKernel('cpu', backend, [x, dy], x.shape, ([xs, g], out) => {
          for (let from = 0; from < out.length; from += per) spec.js(xs, g, out, from, from + per, cap);
        });
      },
    },
  ];
}

const KERNELS = SPECS.flatMap(kernelsOf);

/** True when the current backend is wasm and the SIMD module bound to its heap (what the studio header reports). */
export function simdKernelsBound(): boolean {
  return tf.getBackend() === 'wasm' && heapKernel(tf.backend(), SIMD_ID) !== null;
}

/** True where the current backend runs the kernel (cpu; wasm when its SIMD module binds to the heap). */
function available(): boolean {
  return tf.getBackend() === 'cpu' || simdKernelsBound();
}

/**
 * dy masked by 0 < x <= cap (cap may be Infinity) in one pass, or null on backends without the kernel (the caller
 * then uses tfjs ops). Same values as step(x) − step(x − cap) times dy; with `redirect`, the redirected gradient of
 * clippedReluGradOps (batch items along the first axis).
 */
export function clippedReluGradKernel(x: tf.Tensor, dy: tf.Tensor, cap: number, redirect = false): tf.Tensor | null {
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || !available()) return null;
  ensureKernels(KERNELS);
  const name = redirect ? REDIRECT_KERNEL : KERNEL;
  return tf.engine().runKernel(name, { x, dy }, { cap } as unknown as tf.NamedAttrMap) as tf.Tensor;
}
