/**
 * `npm run bench`: cost of one optimization step for MobileNet v1 α0.75 at 128 px, target conv_pw_6_bn (channel
 * objective, Fourier param, Lucid transforms), per image, on each backend available in Node; and the naive way —
 * tf.grad through the tfjs-layers model's apply (cut at the same layer), one channel at a time — in the same run.
 * Then the render CLI: one channel, and eight as the side by side times them (engines per core, and one engine).
 * Prints medians over several runs and the ratios.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend, type BackendName } from '../src/lib/node/backend.ts';
import type { FeatureModel } from '../src/lib/engine/model.ts';
import { createParam } from '../src/lib/engine/param.ts';
import { render } from '../src/lib/engine/render.ts';
import { applySampling, drawTransform, LUCID_TRANSFORMS, rng, samplingMap } from '../src/lib/engine/transforms.ts';
import { loadLayersReference } from '../src/lib/node/files.ts';
import { loadModel } from '../src/lib/node/load-model.ts';
import { modelDir, REPO_ROOT } from '../src/lib/node/model-cache.ts';
import { median } from './stats.ts';

const MODEL = 'mobilenet_v1_0.75_224';
const LAYER = 'conv_pw_6_bn';
const SIZE = 128;
const quick = process.argv.includes('--quick');

/** Median over `runs` of the mean ms per image-step of an engine render of `steps` steps. */
async function engineMs(m: FeatureModel, batch: number, steps: number, runs: number): Promise<number> {
  const targets = Array.from({ length: batch }, (_, i) => ({ index: i }));
  // Steady state: ReLU redirection (first 16 steps of a real render) is off; snapshots only at the end.
  const settings = { layer: LAYER, size: SIZE, steps, redirectSteps: 0, thresholds: [] };
  await render(m, { ...settings, steps: 2 }, targets); // warm-up (kernel set-up, first allocations)
  const per: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await render(m, settings, targets);
    per.push((performance.now() - t0) / steps / batch);
  }
  return median(per);
}

/**
 * The cost of one more step, per image, at batch 1 and batch 8 side by side: renders of `short` and `long` steps give
 * (t_long − t_short) / (long − short) / batch, so the render's fixed costs (set-up, the final clean pass) cancel, as in
 * the side-by-side script's CLI figure but without two process start-ups in the difference. Rounds alternate batch 1
 * and batch 8 (and the order within each pair) so that the machine's drift touches both; the ratio is the median of
 * the rounds' own ratios. Step counts are the side-by-side script's: 16 → 96 at batch 1, 8 → 40 at batch 8.
 */
async function marginal(m: FeatureModel, rounds: number): Promise<{ b1: number; b8: number; ratio: number }> {
  const settings = { layer: LAYER, size: SIZE, redirectSteps: 0, thresholds: [] };
  const timed = async (batch: number, steps: number) => {
    const targets = Array.from({ length: batch }, (_, i) => ({ index: i }));
    const t0 = performance.now();
    await render(m, { ...settings, steps }, targets);
    return performance.now() - t0;
  };
  const perStep = async (batch: number, short: number, long: number, flip: boolean) => {
    const [a, b] = flip
      ? [await timed(batch, long), await timed(batch, short)]
      : [await timed(batch, short), await timed(batch, long)].reverse();
    return (a - b) / (long - short) / batch;
  };
  await timed(1, 2);
  await timed(8, 2);
  const [b1, b8, ratio]: number[][] = [[], [], []];
  for (let r = 0; r < rounds; r++) {
    const one = await perStep(1, 16, 96, r % 2 === 1);
    const eight = await perStep(8, 8, 40, r % 2 === 0);
    b1.push(one);
    b8.push(eight);
    ratio.push(eight / one);
  }
  return { b1: median(b1), b8: median(b8), ratio: median(ratio) };
}

/** The naive step: same param and transforms, but tf.grad through tfjs-layers' apply (weight gradients included). */
async function naiveMs(steps: number, runs: number): Promise<number> {
  const full = await loadLayersReference(modelDir(MODEL));
  const cut = tf.model({ inputs: full.inputs, outputs: full.getLayer(LAYER).output as tf.SymbolicTensor });
  const param = createParam({ kind: 'fourier', height: SIZE, width: SIZE, seeds: [0] });
  const rand = rng(1);
  const opt = tf.train.adam(0.05);
  const step = () =>
    tf.tidy(() => {
      const map = samplingMap(SIZE, SIZE, [drawTransform(rand, LUCID_TRANSFORMS)], LUCID_TRANSFORMS);
      const grad = tf.grad((v) => {
        const x = tf.sub(tf.mul(applySampling(param.toImage(v), map), 2), 1);
        const act = cut.apply(x, { training: false }) as tf.Tensor4D;
        return tf.mean(act.slice([0, 0, 0, 0], [1, -1, -1, 1]));
      })(param.variable);
      opt.applyGradients([{ name: param.variable.name, tensor: tf.neg(grad) }]);
      grad.dataSync();
    });
  step();
  const per: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    per.push((performance.now() - t0) / steps);
  }
  param.dispose();
  opt.dispose();
  full.dispose();
  return median(per);
}

/** Runs the render CLI on `channels` for `steps` steps; returns its manifest and the process's wall milliseconds. */
function runCli(channels: string, steps: number, extra: string[] = []) {
  const out = mkdtempSync(join(tmpdir(), 'fs-bench-'));
  const args = ['--model', MODEL, '--layer', LAYER, '--channels', channels, '--steps', String(steps), '--out', out];
  const t0 = performance.now();
  const r = spawnSync(join(REPO_ROOT, 'node_modules/.bin/tsx'), [join(REPO_ROOT, 'src/cli/render.ts'), ...args, ...extra], {
    encoding: 'utf8',
  });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`CLI failed: ${r.stderr}`);
  return { manifest: JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')), wall };
}

/** The CLI end to end: one channel, batch 1; its manifest records the seconds of the render itself. */
function cliMs(steps: number): number {
  return (runCli('0', steps, ['--batch', '1']).manifest.images[0].seconds * 1000) / steps;
}

/**
 * The CLI as the side by side times it: the wall time of a run of n2 steps minus one of n1, per image-step (start-up
 * cancels out): one channel (3), and eight (3-10) on engines per core and on one engine.
 */
function cliSideBySide(rounds: number) {
  const per = (channels: string, images: number, n1: number, n2: number, extra: string[] = []) =>
    (runCli(channels, n2, extra).wall - runCli(channels, n1, extra).wall) / (n2 - n1) / images;
  const b1: number[] = [];
  const b8: number[] = [];
  const b8one: number[] = [];
  for (let r = 0; r < rounds; r++) {
    b1.push(per('3', 1, 16, 96));
    b8.push(per('3-10', 8, 8, 40));
    b8one.push(per('3-10', 8, 8, 40, ['--engines', '1']));
  }
  return { b1: median(b1), b8: median(b8), b8one: median(b8one) };
}

const rows: string[] = [];
const print = (s: string) => {
  rows.push(s);
  console.log(s);
};
print(`featurescope bench — ${MODEL}, ${SIZE} px, target ${LAYER}, ms per image-step (median of runs)`);
print(`node ${process.version}, tfjs ${tf.version.tfjs}${quick ? ', --quick' : ''}`);
const results: Record<string, number> = {};
for (const backend of ['wasm', 'cpu'] as BackendName[]) {
  try {
    await useBackend([backend]);
  } catch {
    print(`${backend}: not available`);
    continue;
  }
  const m = await loadModel(MODEL);
  const heavy = backend === 'cpu';
  const b1 = await engineMs(m, 1, heavy ? 3 : 20, quick ? 3 : 5);
  const b8 = await engineMs(m, 8, heavy ? 2 : 5, quick ? 3 : 5);
  results[`${backend} b1`] = b1;
  results[`${backend} b8`] = b8;
  print(
    `engine ${backend.padEnd(4)} batch 1: ${b1.toFixed(1)} ms   batch 8: ${b8.toFixed(1)} ms per image (${(b8 * 8).toFixed(0)} ms per step)`,
  );
  if (!heavy) {
    // The side-by-side script's step counts: 16 → 96 at batch 1, 8 → 40 at batch 8.
    const one = await marginal(m, quick ? 3 : 7);
    results[`${backend} marginal ratio`] = one.ratio;
    print(
      `engine ${backend.padEnd(4)} one more step (fixed costs excluded), batch 1: ${one.b1.toFixed(1)} ms   batch 8: ${one.b8.toFixed(1)} ms per image`,
    );
  }
  m.dispose();
}
await useBackend(['cpu']);
const naive = await naiveMs(quick ? 1 : 2, 3);
print(`naive  cpu  batch 1: ${naive.toFixed(1)} ms   (tf.grad through tfjs-layers apply, cut at ${LAYER})`);
if (results['cpu b1']) print(`ratio naive / engine on cpu, batch 1: ${(naive / results['cpu b1']).toFixed(1)}x`);
if (results['wasm b1']) print(`ratio naive cpu / engine wasm, batch 1: ${(naive / results['wasm b1']).toFixed(1)}x`);
if (results['wasm b1'] && results['wasm b8'])
  print(`batch 8 vs batch 1 on wasm, per image: ${(results['wasm b8'] / results['wasm b1']).toFixed(2)}x`);
if (results['wasm marginal ratio'])
  print(`batch 8 vs batch 1 on wasm, per image, one more step (median of rounds): ${results['wasm marginal ratio'].toFixed(2)}x`);
const cli = cliMs(quick ? 64 : 256);
print(`CLI (wasm, 1 channel, batch 1, ${quick ? 64 : 256} steps incl. 16 redirected, snapshots): ${cli.toFixed(1)} ms per step`);
const side = cliSideBySide(quick ? 1 : 3);
print(
  `CLI as the side by side times it (wall, n2 − n1 steps): 1 channel ${side.b1.toFixed(1)} ms, 8 channels ${side.b8.toFixed(1)} ms per image on engines per core, ${side.b8one.toFixed(1)} on one engine (--engines 1)`,
);
print(
  `CLI batch 8 / batch 1: ${(side.b8 / side.b1).toFixed(2)} on engines per core, ${(side.b8one / side.b1).toFixed(2)} on one engine`,
);
