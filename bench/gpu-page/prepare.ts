/**
 * `npm run bench:gpu-page`: builds the browser timing page (bench/gpu-page) into .gpu/site with a cut-down model —
 * MobileNet v1 α0.75 up to conv_pw_6_relu, saved by tfjs-layers (about 1 MB instead of 10 MB) — so the page, a
 * headless Chromium and its libraries fit the 64 MiB that may be carried to a GPU machine. Serve .gpu/site with any
 * static server and open index.html (bench/gpu-page/main.ts lists the query) in a browser; results print as FSBENCH lines.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadLayersReference } from '../../src/lib/node/files.ts';
import { ensureModel, REPO_ROOT } from '../../src/lib/node/model-cache.ts';
import { registryEntry } from '../../src/lib/models/registry.ts';
import { saveLayersPackage } from '../../tests/unit/layers-package.ts';

const site = join(REPO_ROOT, '.gpu', 'site');
const build = spawnSync('npx', ['vite', 'build', '--config', 'bench/gpu-page/vite.config.ts'], {
  cwd: REPO_ROOT,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);
await tf.setBackend('cpu');
const full = await loadLayersReference(await ensureModel(registryEntry('mobilenet_v1_0.75_224')!));
const cut = tf.model({ inputs: full.inputs, outputs: full.getLayer('conv_pw_6_relu').output as tf.SymbolicTensor });
const out = join(site, 'models', 'mobilenet_v1_0.75_to_pw6');
rmSync(out, { recursive: true, force: true });
await saveLayersPackage(cut, out);
console.log(`wrote ${site} (page, wasm binaries, ${out})`);
