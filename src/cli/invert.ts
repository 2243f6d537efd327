/**
 * featurescope invert: what layers keep of a photo (feature inversion, engine/inversion.ts).
 *   npm run invert -- --photo <image> --out <dir> [--model <id | model.json>] [--layers a,b,…] [--size 128]
 *     [--steps 192] [--seed 0] [--input-range a,b] [--backend wasm|cpu]
 * Writes <out>/photo.png (the photo at the images' size: its centre square, resized), one <layer>.png per layer and
 * <out>/manifest.json (model, photo, settings, each layer's likeness to the photo, seconds): inversion-files.ts.
 */
// First: tfjs's Node bundles load with a pthread pool of the threads used and without source maps (tfjs-load-hook.ts).
import '../lib/node/tfjs-load-hook.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { inversionFiles } from '../lib/export/inversion-files.ts';
import { modelSource } from '../lib/node/model-source.ts';
import { UsageError } from '../lib/node/usage-error.ts';
import {
  backendOption,
  failCli,
  inputRangeOption,
  intOption,
  joinNegativeValues,
  photoAndOut,
  PHOTO_OPTIONS,
} from './options.ts';

const USAGE =
  'usage: npm run invert -- --photo <image> --out <dir> [--model <id|model.json>] [--layers a,b,...]\n' +
  '  [--size 128] [--steps 192] [--seed 0] [--input-range min,max] [--backend wasm|cpu]\n';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    options: {
      ...PHOTO_OPTIONS,
      layers: { type: 'string' },
      size: { type: 'string' },
      steps: { type: 'string' },
      seed: { type: 'string' },
    },
    strict: true,
  });
  if (values.help) return void process.stdout.write(USAGE);
  const { photo: photoPath, out } = photoAndOut(values);
  const size = intOption('size', values.size, 128, 16, 512);
  const steps = intOption('steps', values.steps, 192, 1, 4096);
  const seed = intOption('seed', values.seed, 0, 0, 2 ** 31 - 1);
  const asked = values.layers?.split(',').map((l) => l.trim());
  if (asked && (!asked.length || asked.some((l) => !l))) throw new UsageError(`--layers: "${values.layers}" names no layer`);
  const inputRange = inputRangeOption(values['input-range']);
  const backendChoice = backendOption(values.backend);
  const source = modelSource(values.model!);
  // TensorFlow.js (0.8 s to import) only once the options are known to be good: a typo is answered at once.
  const [{ invertPhoto }, { rgbBytes }, { useBackend }, { readPhotoOption }, { loadModel }, layerChoice] = await Promise.all([
    import('../lib/engine/inversion.ts'),
    import('../lib/engine/image-ops.ts'),
    import('../lib/node/backend.ts'),
    import('../lib/node/files.ts'),
    import('../lib/node/load-model.ts'),
    import('../lib/studio/main-layers.ts'),
  ]);
  const backend = await useBackend(backendChoice);
  const model = await loadModel(source, inputRange);
  // By default four layers over the depth, as the studio's lab picks them (those with a map left at this size).
  const layers = asked ?? layerChoice.spreadLayers(layerChoice.inversionLayers(model.layers, size).map((l) => l.name));
  for (const l of layers) model.layer(l);
  const view = await readPhotoOption(photoPath, size);
  process.stderr.write(
    `featurescope: ${model.info.id}, ${photoPath} at ${size}px, ${steps} steps, layers ${layers.join(', ')} on ${backend}\n`,
  );
  const r = await invertPhoto(
    model,
    view,
    layers,
    { size, steps, seed },
    {
      onSnapshot: (s) => process.stderr.write(`  step ${s.step}/${steps}\r`),
    },
  );
  const viewPixels = await rgbBytes(view);
  view.dispose();
  const files = inversionFiles({
    model: model.info.id,
    photo: photoPath,
    settings: { size, steps, seed },
    step: steps,
    layers,
    images: r.final.images,
    width: r.final.width,
    height: r.final.height,
    likeness: r.cleanValues,
    photoRgb: viewPixels,
    extra: { seconds: r.seconds },
  });
  await mkdir(out, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(out, name), bytes);
  process.stderr.write(`featurescope: ${layers.length} images in ${out} (${r.seconds.toFixed(1)} s)\n`);
  model.dispose();
}

main(process.argv.slice(2)).catch(failCli);
