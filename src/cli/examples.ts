/**
 * featurescope examples: the photos of a folder that drive chosen channels of a layer most, and where.
 *   npm run examples -- --model <id | model.json> --layer <name> --channels 3,17,40-47 --photos <dir> --out <dir>
 *     [--top 9] [--input-range a,b] [--batch 8] [--backend wasm|cpu]
 * Writes <out>/examples.json ({ model, layer, inputSize, channels: [{ channel, examples: [{ photo, value, x, y, width,
 * height }] }] }, highest value first) and each example's crop as <out>/<layer>-<channel>-<rank>.png (rank 1 = best).
 * `value` is the channel's maximum over positions on the photo centre-cropped to a square at the input size; the box
 * is that unit's receptive field in the photo's own pixels, clipped to the photo.
 */
// First: tfjs's Node bundles load with a pthread pool of the threads used and without source maps (tfjs-load-hook.ts).
import '../lib/node/tfjs-load-hook.ts';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parseChannels } from '../lib/engine/channels.ts';
import type { PhotoSource } from '../lib/engine/example-index.ts';
import { safeName } from '../lib/export/file-names.ts';
import { modelSource } from '../lib/node/model-source.ts';
import { UsageError } from '../lib/node/usage-error.ts';
import { backendOption, failCli, inputRangeOption, intOption, joinNegativeValues, LAYER_OPTIONS } from './options.ts';

const USAGE =
  'usage: npm run examples -- --model <id|model.json> --layer <name> --channels 3,17,40-47 --photos <dir> --out <dir>\n' +
  '  [--top 9] [--input-range min,max] [--batch 8] [--backend wasm|cpu]\n';

/** Every regular file under `dir`, by path relative to it, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (e) {
    throw new UsageError(`--photos: cannot read ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    options: { ...LAYER_OPTIONS, photos: { type: 'string' }, top: { type: 'string' } },
    strict: true,
  });
  if (values.help) return void process.stdout.write(USAGE);
  for (const o of ['layer', 'channels', 'photos', 'out'] as const)
    if (!values[o]) throw new UsageError(`--${o} is required\n${USAGE}`);
  const top = intOption('top', values.top, 9, 1, 1000);
  const batch = intOption('batch', values.batch, 8, 1, 256);
  const inputRange = inputRangeOption(values['input-range']);
  let channels: number[];
  try {
    channels = parseChannels(values.channels!);
  } catch (e) {
    throw new UsageError(`--${(e as Error).message}`);
  }
  const files = await filesUnder(values.photos!);
  if (!files.length) throw new UsageError(`--photos: ${values.photos} has no files`);
  const backendChoice = backendOption(values.backend);
  const source = modelSource(values.model!);
  // TensorFlow.js (0.8 s to import) only once the options are known to be good: a typo is answered at once.
  const [{ croppedSource, ExampleIndex, indexPhotos }, { useBackend }, { cropPng, readImage, readPixels }, { loadModel }] =
    await Promise.all([
      import('../lib/engine/example-index.ts'),
      import('../lib/node/backend.ts'),
      import('../lib/node/files.ts'),
      import('../lib/node/load-model.ts'),
    ]);
  const backend = await useBackend(backendChoice);

  const model = await loadModel(source, inputRange);
  const layer = model.layer(values.layer!);
  const bad = channels.find((c) => c >= layer.shape[2]);
  if (bad !== undefined)
    throw new UsageError(`--channels: channel ${bad} is out of range for ${layer.name} (0-${layer.shape[2] - 1})`);
  const sources: PhotoSource[] = files.map((f) => croppedSource(f, () => readImage(join(values.photos!, f))));
  const index = new ExampleIndex(model);
  process.stderr.write(
    `featurescope: ${model.info.id}, ${layer.name}, ${channels.length} channel(s), ${files.length} file(s) in batches of ${batch} on ${backend}\n`,
  );
  const t0 = performance.now();
  const run = await indexPhotos(model, index, sources, [layer.name], { batch });
  const seconds = (performance.now() - t0) / 1000;
  for (const s of run.skipped) process.stderr.write(`featurescope: skipped ${s.photo}: ${s.reason}\n`);
  const indexed = run.total - run.skipped.length;
  if (!indexed)
    throw new UsageError(`--photos: no readable image in ${values.photos} (${files.length} file(s), none a PNG or JPEG)`);

  const result = {
    model: model.info.id,
    layer: layer.name,
    inputSize: [model.inputShape[0], model.inputShape[1]],
    channels: channels.map((channel) => ({ channel, examples: index.examples(layer.name, channel, top) })),
  };
  await mkdir(values.out!, { recursive: true });
  await writeFile(join(values.out!, 'examples.json'), JSON.stringify(result, null, 2));
  // Crops: each photo with an example is read once more (the index keeps numbers, not pixels).
  const byPhoto = new Map<string, { file: string; box: (typeof result.channels)[0]['examples'][0] }[]>();
  for (const c of result.channels)
    c.examples.forEach((e, rank) => {
      const list = byPhoto.get(e.photo) ?? [];
      list.push({ file: `${safeName(layer.name)}-${c.channel}-${rank + 1}.png`, box: e });
      byPhoto.set(e.photo, list);
    });
  for (const [photo, crops] of byPhoto) {
    const pixels = await readPixels(join(values.photos!, photo));
    for (const c of crops) await writeFile(join(values.out!, c.file), cropPng(pixels, c.box));
  }
  process.stderr.write(
    `featurescope: ${indexed} photo(s) in ${seconds.toFixed(1)} s (${(indexed / seconds).toFixed(1)} photos/s, ` +
      `decoding included); wrote ${join(values.out!, 'examples.json')} and ${[...byPhoto.values()].flat().length} crop(s)\n`,
  );
  model.dispose();
}

main(process.argv.slice(2)).catch(failCli);
