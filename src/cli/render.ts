/**
 * featurescope render: activation maximization from the command line.
 *   npm run render -- --model <id | path/to/model.json> --layer <name> --channels 3,17,40-47 --out <dir>
 *     [--size 128] [--steps 160] [--seed 0] [--objective channel|neuron|layer|logit] [--param fourier|pixel]
 *     [--variants 1 [--diversity 100]] [--batch 8] [--input-range min,max] [--mean r,g,b --std r,g,b] [--backend wasm|cpu]
 * Writes <out>/<layer>-<channel>[-v<variant>].png (settings in a PNG text chunk) and <out>/manifest.json.
 */
// First: tfjs's Node bundles load with a pthread pool of the threads used and without source maps (tfjs-load-hook.ts).
import '../lib/node/tfjs-load-hook.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FeatureModel } from '../lib/engine/model.ts';
import { DEFAULT_SETTINGS, type RenderSettings } from '../lib/engine/render-settings.ts';
import { imageMeta } from '../lib/export/image-meta.ts';
import { DEFAULT_JOB_SETTINGS } from '../lib/protocol.ts';
import { SETTING_BOUNDS } from '../lib/settings.ts';
import { safeName, variantSuffix } from '../lib/export/file-names.ts';
import { encodePng } from '../lib/export/png.ts';
import { UsageError } from '../lib/node/usage-error.ts';
import { modelSource } from '../lib/node/model-source.ts';
import { parseChannels } from '../lib/engine/channels.ts';
import { backendOption, failCli, inputRangeOption, intOption, joinNegativeValues, LAYER_OPTIONS, oneOf } from './options.ts';

const OBJECTIVES = ['channel', 'neuron', 'layer', 'logit'] as const;
const PARAMS = ['fourier', 'pixel'] as const;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    options: {
      ...LAYER_OPTIONS,
      size: { type: 'string' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      objective: { type: 'string' },
      param: { type: 'string' },
      mean: { type: 'string' },
      std: { type: 'string' },
      variants: { type: 'string' },
      diversity: { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run render -- --model <id|model.json> --layer <name> --channels 3,17,40-47 --out <dir>\n' +
        '  [--size 128] [--steps 160] [--seed 0] [--objective channel|neuron|layer|logit] [--param fourier|pixel]\n' +
        '  [--variants 1 [--diversity 100]] [--batch 8] [--input-range min,max] [--mean r,g,b --std r,g,b]\n' +
        '  [--backend wasm|cpu]\n',
    );
    return;
  }
  const objective = oneOf('objective', values.objective, OBJECTIVES, 'channel');
  if (!values.layer && objective !== 'logit') throw new UsageError('--layer is required (e.g. --layer conv_pw_5_bn)');
  if (!values.out) throw new UsageError('--out <dir> is required');
  const channels = parseChannels(values.channels ?? '0');
  const inputRange = inputRangeOption(values['input-range']);
  let normalize: { mean: [number, number, number]; std: [number, number, number] } | undefined;
  if (values.mean !== undefined || values.std !== undefined) {
    const triple = (name: string, v: string | undefined) => {
      const p = (v ?? '').split(',').map(Number);
      if (p.length !== 3 || p.some((x) => !Number.isFinite(x)) || (name === 'std' && p.some((x) => x <= 0)))
        throw new UsageError(
          `--${name}: "${v ?? ''}" is not three numbers r,g,b${name === 'std' ? ' above 0' : ''} (both --mean and --std are needed)`,
        );
      return p as [number, number, number];
    };
    normalize = { mean: triple('mean', values.mean), std: triple('std', values.std) };
  }
  const settings: RenderSettings = {
    ...DEFAULT_SETTINGS,
    layer: values.layer ?? '',
    objective,
    param: oneOf('param', values.param, PARAMS, 'fourier'),
    size: intOption('size', values.size, DEFAULT_JOB_SETTINGS.size, 16, 1024),
    steps: intOption('steps', values.steps, DEFAULT_JOB_SETTINGS.steps, 1, 100000),
    seed: intOption('seed', values.seed, 0, 0, 2 ** 31 - 1),
  };
  // Variants of each channel render in one batch, pushed apart by the diversity term (as the studio's detail view).
  const variants = intOption('variants', values.variants, 1, 1, SETTING_BOUNDS.variants[1]);
  if (variants > 1 && objective === 'layer')
    throw new UsageError('--variants: with --objective layer, --channels already names the variants (e.g. --channels 0-3)');
  if (values.diversity !== undefined && variants === 1)
    throw new UsageError('--diversity acts among variants of one channel: give --variants 2 or more');
  settings.diversity = variants > 1 ? intOption('diversity', values.diversity, 100, 0, SETTING_BOUNDS.diversity[1]) : 0;
  const batch = intOption('batch', values.batch, 8, 1, 64);
  // Whole groups per batch: a variant's image depends on the rest of its group.
  const perBatch = Math.max(1, Math.floor(batch / variants));
  const backendChoice = backendOption(values.backend);
  const source = modelSource(values.model!);
  // TensorFlow.js (0.8 s to import) only once the options are known to be good: a typo is answered at once.
  const [{ useBackend }, { loadModel }, { render }] = await Promise.all([
    import('../lib/node/backend.ts'),
    import('../lib/node/load-model.ts'),
    import('../lib/engine/render.ts'),
  ]);
  const backend = await useBackend(backendChoice);

  const model: FeatureModel = await loadModel(source, inputRange, normalize);
  if (!inputRange && model.declaredRange)
    process.stderr.write(`input range [${model.declaredRange.range.join(', ')}]: ${model.declaredRange.why}\n`);
  const layer = objective === 'logit' ? model.logitsLayer : model.layer(settings.layer);
  if (!layer) throw new UsageError(`model ${model.info.id} has no class-score layer for --objective logit`);
  settings.layer = layer.name;
  if (objective !== 'layer') {
    const bad = channels.find((c) => c >= layer.shape[2]);
    if (bad !== undefined) {
      throw new UsageError(
        `--channels: ${bad} is out of range: layer ${layer.name} has ${layer.shape[2]} ${objective === 'logit' ? 'classes' : 'channels'} (0-${layer.shape[2] - 1})`,
      );
    }
  }
  await mkdir(values.out, { recursive: true });
  process.stderr.write(
    `featurescope: ${model.info.id} ${layer.name} [${layer.shape.join('x')}] ${objective} ×${channels.length} on ${backend}, ` +
      `${settings.size}px ${settings.steps} steps, batch ${Math.min(perBatch, channels.length) * variants}` +
      `${variants > 1 ? ` (${variants} variants each, diversity ${settings.diversity})` : ''}\n`,
  );
  const manifest: Record<string, unknown>[] = [];
  const started = Date.now();
  for (let i = 0; i < channels.length; i += perBatch) {
    const group = channels.slice(i, i + perBatch);
    const images = group.flatMap((channel) =>
      objective === 'layer'
        ? [{ channel, index: 0, variant: channel }]
        : Array.from({ length: variants }, (_, variant) => ({ channel, index: channel, variant })),
    );
    const result = await render(
      model,
      settings,
      images.map(({ index, variant }) => ({ index, variant })),
      {
        onSnapshot: (s) =>
          process.stderr.write(
            `  [${i + group.length}/${channels.length}] step ${s.step}/${settings.steps} objective ${s.values.map((v) => v.toFixed(2)).join(' ')}\n`,
          ),
      },
    );
    for (const [k, { channel, variant }] of images.entries()) {
      const meta = imageMeta({
        model: model.info.id,
        layer: layer.name,
        channel,
        variant,
        value: result.cleanValues[k],
        backend,
        settings: variants > 1 ? { ...settings, variants } : settings,
      });
      const file = `${safeName(layer.name)}-${channel}${variantSuffix(variant, variants)}.png`;
      await writeFile(join(values.out, file), encodePng(result.final.images[k], result.final.width, result.final.height, meta));
      manifest.push({ file, ...meta, seconds: result.seconds / images.length });
    }
  }
  await writeFile(
    join(values.out, 'manifest.json'),
    JSON.stringify({ model: model.info.id, layer: layer.name, images: manifest }, null, 2),
  );
  process.stderr.write(
    `featurescope: wrote ${manifest.length} image(s) to ${values.out} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  model.dispose();
}

main(process.argv.slice(2)).catch(failCli);
