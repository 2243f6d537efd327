/**
 * The probe behind "auto" on a machine with a real GPU: the same small workload, shaped like one optimization step
 * at 128 px, timed on each backend that could run at a batch of its own (batch-size.ts probeBatch: 8 on wasm, 32 on a
 * GPU) and compared per image, so the fastest is kept. The workload uses the engine's own sampler (registered kernels
 * on wasm, gathers on GPU backends), a depthwise and a pointwise convolution, and the Fourier parameterization's dense
 * inverse-DFT product, forward and backward. A synthetic convolution alone had ranked a GPU first where a whole step
 * ran 7× slower on it than on wasm (BENCHMARKS.md, H200, session 5); this probe at batch 8 everywhere ranked wasm first
 * where WebGPU rendered 48 channels 15 % faster in the studio (BENCHMARKS.md, H200, session 25).
 */
import * as tf from '@tensorflow/tfjs';
import { prepareConv } from '../src/lib/engine/conv-ops.ts';
import { clippedRelu, matMulConstLeft } from '../src/lib/engine/ops.ts';
import { applySampling, drawTransform, LUCID_TRANSFORMS, rng, samplingMap } from '../src/lib/engine/transforms.ts';

const SIDE = 70;

/** One forward and backward pass of the step-shaped workload on `batch` images; resolves when the result is read back. */
async function stepLike(batch: number): Promise<void> {
  const r = rng(1);
  const map = samplingMap(
    SIDE,
    SIDE,
    Array.from({ length: batch }, () => drawTransform(r, LUCID_TRANSFORMS)),
    {
      ...LUCID_TRANSFORMS,
      outputSize: [64, 64],
    },
  );
  const out = tf.tidy(() => {
    const x = tf.randomNormal([batch, SIDE, SIDE, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const weights = (shape: [number, number, number, number], seed: number) =>
      tf.randomNormal(shape, 0, 0.1, 'float32', seed) as tf.Tensor4D;
    const stem = prepareConv({ kernel: weights([3, 3, 3, 48], 2), depthwise: false, stride: [2, 2], padding: 'same' });
    const dw = prepareConv({ kernel: weights([3, 3, 48, 1], 3), depthwise: true, stride: [1, 1], padding: 'same' });
    const pw = prepareConv({ kernel: weights([1, 1, 48, 96], 4), depthwise: false, stride: [1, 1], padding: 'same' });
    const dft = tf.randomNormal([256, 256], 0, 0.05, 'float32', 5) as tf.Tensor2D;
    const spectrum = tf.randomNormal([256, 1560], 0, 1, 'float32', 6) as tf.Tensor2D;
    // The engine's own ops: the custom gradients it uses on every backend (wasm lacks some backprop kernels).
    const loss = (img: tf.Tensor, spec: tf.Tensor) => {
      const sampled = applySampling(img as tf.Tensor4D, map);
      const h = clippedRelu(dw(clippedRelu(stem(sampled), 6, false) as tf.Tensor4D), 6, false) as tf.Tensor4D;
      const y = clippedRelu(pw(h), 6, false);
      return tf.add(tf.mean(y), tf.mean(tf.square(matMulConstLeft(dft, dft, spec as tf.Tensor2D))));
    };
    const [gx, gs] = tf.grads(loss)([x, spectrum]);
    return tf.add(tf.sum(gx), tf.sum(gs));
  });
  await out.data();
  out.dispose();
}

/** One backend's probe: the median ms per image of the workload at `batch`. */
export interface ProbeTime {
  msPerImage: number;
  batch: number;
}

/** The workload at `batch` on the running backend, after one untimed run that compiles shaders: median of `runs`. */
export async function timeStepLike(runs = 3, batch = 8): Promise<ProbeTime> {
  await stepLike(batch);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await stepLike(batch);
    times.push((performance.now() - t0) / batch);
  }
  return { msPerImage: times.sort((a, b) => a - b)[Math.floor(runs / 2)], batch };
}

/** Backends ranked by probe time per image (fastest first), and the note that says so. */
export function rankByProbe(ms: Record<string, ProbeTime>): { ranked: string[]; note: string } {
  const ranked = Object.keys(ms).sort((a, b) => ms[a].msPerImage - ms[b].msPerImage);
  if (ranked.length === 0) return { ranked, note: 'no backend finished the probe' };
  const times = ranked.map((n) => `${n} ${ms[n].msPerImage.toFixed(1)} ms (batch ${ms[n].batch})`).join(', ');
  return { ranked, note: `probe, one step-shaped batch, per image: ${times}; ${ranked[0]} runs, the fastest` };
}
