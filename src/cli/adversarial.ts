/**
 * featurescope adversarial: an invisible change to a photo that changes what the network says it is.
 *   npm run adversarial -- --model <id | model.json> --photo <image> --epsilon <0-255> --out <dir>
 *     [--target <class index>] [--steps 10] [--input-range a,b] [--backend wasm|cpu]
 * Writes <out>/original.png (the network's view: centre crop resized to its input size, RGB), <out>/adversarial.png
 * (every value within ε of the original after 8-bit rounding) and <out>/result.json (top-5 before and after).
 */
// First: tfjs's Node bundles load with a pthread pool of the threads used and without source maps (tfjs-load-hook.ts).
import '../lib/node/tfjs-load-hook.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodePng } from '../lib/export/png.ts';
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
  'usage: npm run adversarial -- --model <id|model.json> --photo <image> --epsilon <0-255> --out <dir>\n' +
  '  [--target <class index>] [--steps 10] [--input-range min,max] [--backend wasm|cpu]\n';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    options: {
      ...PHOTO_OPTIONS,
      epsilon: { type: 'string' },
      target: { type: 'string' },
      steps: { type: 'string' },
    },
    strict: true,
  });
  if (values.help) return void process.stdout.write(USAGE);
  const { photo: photoPath, out } = photoAndOut(values);
  if (values.epsilon === undefined) throw new UsageError('--epsilon <0-255> is required (e.g. --epsilon 4)');
  const epsilon = Number(values.epsilon);
  if (!Number.isFinite(epsilon) || epsilon < 0 || epsilon > 255)
    throw new UsageError(`--epsilon: "${values.epsilon}" is not a number in 0-255 (pixel units, e.g. 4)`);
  const steps = intOption('steps', values.steps, 10, 1, 1000);
  const inputRange = inputRangeOption(values['input-range']);
  const backendChoice = backendOption(values.backend);
  const source = modelSource(values.model!);
  // TensorFlow.js (0.8 s to import) only once the options are known to be good: a typo is answered at once.
  const [{ attack, classScoreLayer }, { useBackend }, { readPhotoOption }, { loadModel }] = await Promise.all([
    import('../lib/engine/adversarial.ts'),
    import('../lib/node/backend.ts'),
    import('../lib/node/files.ts'),
    import('../lib/node/load-model.ts'),
  ]);
  const backend = await useBackend(backendChoice);

  const model = await loadModel(source, inputRange);
  const scores = model.layer(classScoreLayer(model));
  const target = values.target === undefined ? null : intOption('target', values.target, 0, 0, scores.shape[2] - 1);
  const [h] = model.inputShape;
  const view = await readPhotoOption(photoPath, h);
  process.stderr.write(
    `featurescope: ${model.info.id}, ${photoPath} at ${h}px, ε ${epsilon}, ${steps === 1 ? 'FGSM' : `PGD ≤ ${steps} steps`}` +
      `${target === null ? ', untargeted' : `, target class ${target}`} on ${backend}\n`,
  );
  const r = await attack(model, view, { epsilon, steps, target }).finally(() => view.dispose());
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'original.png'), encodePng(r.original, r.width, r.height, undefined, 3));
  await writeFile(join(out, 'adversarial.png'), encodePng(r.adversarial, r.width, r.height, undefined, 3));
  const result = {
    model: model.info.id,
    photo: photoPath,
    method: r.method,
    target,
    epsilon,
    linf: r.linf,
    steps: r.steps,
    success: r.success,
    before: r.before,
    after: r.after,
  };
  await writeFile(join(out, 'result.json'), JSON.stringify(result, null, 2));
  const top = (p: (typeof r.before)[0]) => `${p.label} (#${p.index}, ${(p.probability * 100).toFixed(1)} %)`;
  process.stderr.write(
    `featurescope: before ${top(r.before[0])} → after ${top(r.after[0])}; L∞ ${r.linf}, ${r.steps} step(s); ` +
      `${r.success ? (target === null ? 'the top class changed' : 'the target is the top class') : 'no success within ε'}\n`,
  );
  model.dispose();
}

main(process.argv.slice(2)).catch(failCli);
