/**
 * featurescope render: activation maximization from the command line.
 *   npm run render -- --model <id | path/to/model.json> --layer <name> --channels 3,17,40-47 --out <dir>
 *     [--size 128] [--steps 160] [--seed 0] [--objective channel|neuron|layer|logit] [--param fourier|pixel]
 *     [--variants 1 [--diversity 100]] [--batch 8] [--input-range min,max] [--mean r,g,b --std r,g,b] [--backend wasm|cpu]
 *     [--engines N]
 * Writes <out>/<layer>-<channel>[-v<variant>].png (settings in a PNG text chunk) and <out>/manifest.json.
 * Several channels render on one engine per core (node/render-pool.ts), one channel on one multi-threaded engine.
 */
// First: tfjs's Node bundles load with a pthread pool of the threads used and without source maps (tfjs-load-hook.ts).
import '../lib/node/tfjs-load-hook.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SETTINGS, type RenderSettings } from '../lib/engine/render-settings.ts';
import type { RenderResult } from '../lib/engine/render.ts';
import { imageMeta } from '../lib/export/image-meta.ts';
import { DEFAULT_JOB_SETTINGS } from '../lib/protocol.ts';
import { SETTING_BOUNDS } from '../lib/settings.ts';
import { safeName, variantSuffix } from '../lib/export/file-names.ts';
import { encodePng } from '../lib/export/png.ts';
import { UsageError } from '../lib/node/usage-error.ts';
import { modelSource, type ModelSource } from '../lib/node/model-source.ts';
import type { BackendName } from '../lib/node/backend.ts';
import type { Normalization } from '../lib/engine/model.ts';
import { parseChannels } from '../lib/engine/channels.ts';
import { batchGroups, enginesFor, localEngine, runBatches, threadEngine, type Engine } from '../lib/node/render-pool.ts';
import { backendOption, failCli, inputRangeOption, intOption, joinNegativeValues, LAYER_OPTIONS, oneOf } from './options.ts';

const OBJECTIVES = ['channel', 'neuron', 'layer', 'logit'] as const;
const PARAMS = ['fourier', 'pixel'] as const;
const USAGE =
  'usage: npm run render -- --model <id|model.json> --layer <name> --channels 3,17,40-47 --out <dir>\n' +
  '  [--size 128] [--steps 160] [--seed 0] [--objective channel|neuron|layer|logit] [--param fourier|pixel]\n' +
  '  [--variants 1 [--diversity 100]] [--batch 8] [--input-range min,max] [--mean r,g,b --std r,g,b]\n' +
  '  [--backend wasm|cpu] [--engines N]\n';

/** One image of the run: the channel it is written as, and the target it renders. */
interface Item {
  channel: number;
  index: number;
  variant: number;
}

interface RenderRun {
  model: string;
  source: ModelSource;
  out: string;
  settings: RenderSettings;
  channels: number[];
  variants: number;
  inputRange?: [number, number];
  normalize?: Normalization;
  backends?: BackendName[];
  /** The images, in batches: whole groups (a channel and its variants) per batch. */
  batches: Item[][];
  /** Engines that render at once (one per core unless --engines); never more than there are batches. */
  engines: number;
}

/** The command line checked and turned into a run, without TensorFlow.js (a typo is answered at once); null: --help. */
function readRun(argv: string[]): RenderRun | null {
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
      engines: { type: 'string' },
    },
    strict: true,
  });
  if (values.help) return null;
  const objective = oneOf('objective', values.objective, OBJECTIVES, 'channel');
  if (!values.layer && objective !== 'logit') throw new UsageError('--layer is required (e.g. --layer conv_pw_5_bn)');
  if (!values.out) throw new UsageError('--out <dir> is required');
  const channels = parseChannels(values.channels ?? '0');
  const inputRange = inputRangeOption(values['input-range']);
  let normalize: Normalization | undefined;
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
  const asked = values.engines === undefined ? undefined : intOption('engines', values.engines, 1, 1, 64);
  const backends = backendOption(values.backend);
  const source = modelSource(values.model!);
  const engines = enginesFor(channels.length, cpus().length, asked);
  // One group per channel: its variants, optimized together (a variant's image depends on the rest of its group).
  const groups: Item[][] = channels.map((channel) =>
    objective === 'layer'
      ? [{ channel, index: 0, variant: channel }]
      : Array.from({ length: variants }, (_, variant) => ({ channel, index: channel, variant })),
  );
  const batches = batchGroups(groups, batch, engines);
  const run = { model: values.model!, source, out: values.out, settings, channels, variants, inputRange, normalize };
  return { ...run, backends, batches, engines: Math.min(engines, batches.length) };
}

/** Loads the model on this thread, checks the layer and channels, renders the batches on this and the helper engines. */
async function render(run: RenderRun, helpers: Engine[]): Promise<void> {
  const { settings, channels, variants } = run;
  const [{ useBackend }, { loadModel }] = await Promise.all([
    import('../lib/node/backend.ts'),
    import('../lib/node/load-model.ts'),
  ]);
  // With helpers, every engine is single-threaded: the engines are the parallelism.
  const backend = await useBackend(run.backends, helpers.length ? 1 : undefined);
  const model = await loadModel(run.source, run.inputRange, run.normalize);
  if (!run.inputRange && model.declaredRange)
    process.stderr.write(`input range [${model.declaredRange.range.join(', ')}]: ${model.declaredRange.why}\n`);
  const layer = settings.objective === 'logit' ? model.logitsLayer : model.layer(settings.layer);
  if (!layer) throw new UsageError(`model ${model.info.id} has no class-score layer for --objective logit`);
  settings.layer = layer.name;
  if (settings.objective !== 'layer') {
    const bad = channels.find((c) => c >= layer.shape[2]);
    if (bad !== undefined) {
      throw new UsageError(
        `--channels: ${bad} is out of range: layer ${layer.name} has ${layer.shape[2]} ${settings.objective === 'logit' ? 'classes' : 'channels'} (0-${layer.shape[2] - 1})`,
      );
    }
  }
  await mkdir(run.out, { recursive: true });
  process.stderr.write(
    `featurescope: ${model.info.id} ${layer.name} [${layer.shape.join('x')}] ${settings.objective} ×${channels.length} on ${backend}, ` +
      `${settings.size}px ${settings.steps} steps, batch ${run.batches[0].length}` +
      `${run.engines > 1 ? ` on each of ${run.engines} engines` : ''}` +
      `${variants > 1 ? ` (${variants} variants each, diversity ${settings.diversity})` : ''}\n`,
  );
  /** The PNGs of one finished batch, and its manifest entries. */
  const write = async (items: Item[], result: RenderResult) => {
    const entries: Record<string, unknown>[] = [];
    for (const [k, { channel, variant }] of items.entries()) {
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
      await writeFile(join(run.out, file), encodePng(result.final.images[k], result.final.width, result.final.height, meta));
      entries.push({ file, ...meta, seconds: result.seconds / items.length });
    }
    return entries;
  };
  const written: Record<string, unknown>[][] = [];
  const started = Date.now();
  const targets = run.batches.map((items) => items.map(({ index, variant }) => ({ index, variant })));
  await runBatches([localEngine(model), ...helpers], settings, targets, {
    onSnapshot: (b, s) =>
      process.stderr.write(
        `  [batch ${b + 1}/${run.batches.length}] step ${s.step}/${settings.steps} objective ${s.values.map((v) => v.toFixed(2)).join(' ')}\n`,
      ),
    onEngineLost: (why) => process.stderr.write(`featurescope: a render engine was lost (${why}); the others go on\n`),
    onResult: async (b, result) => void (written[b] = await write(run.batches[b], result)),
  });
  const manifest = written.flat();
  // Per image, `seconds` is its batch's render time shared among the batch; engines run at once, so the run's own wall
  // time (from the first batch to the last PNG) is the throughput figure.
  const seconds = (Date.now() - started) / 1000;
  await writeFile(
    join(run.out, 'manifest.json'),
    JSON.stringify({ model: model.info.id, layer: layer.name, engines: run.engines, seconds, images: manifest }, null, 2),
  );
  process.stderr.write(`featurescope: wrote ${manifest.length} image(s) to ${run.out} in ${seconds.toFixed(1)} s\n`);
  model.dispose();
}

async function main(argv: string[]): Promise<void> {
  const run = readRun(argv);
  if (!run) return void process.stdout.write(USAGE);
  // The helper engines start now and load their model while this thread loads its own.
  const helpers = Array.from({ length: run.engines - 1 }, () =>
    threadEngine({ model: run.model, inputRange: run.inputRange, normalize: run.normalize, backends: run.backends }),
  );
  try {
    await render(run, helpers);
  } finally {
    for (const h of helpers) h.close();
  }
}

main(process.argv.slice(2)).catch(failCli);
