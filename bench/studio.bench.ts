/**
 * `npm run bench:studio`: what a person waits for in the built studio, in Debian's Chromium (headless).
 *  - default page (MobileNet v1 α0.75, default settings, auto-render): model loaded, first snapshot in the gallery,
 *    first finished card — and a screenshot after `--shot-after` seconds (docs/studio.jpg with --shot);
 *  - click latency: with auto-render off, time from clicking a channel to its first snapshot (step 16).
 *  - step cost: ms per image-step of renders at batch 1 and batch 8 in the studio's worker (conv_pw_6_bn, 128 px,
 *    the default steps, seconds as the worker reports them; batch 8 on the helper engines once they have started, and
 *    the page's first batch, which starts them, on its own line), next to the CLI's figure for the same renders in
 *    this run.
 * Needs a build (`vite build`); starts `vite preview` itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { median } from './stats.ts';
import { DEFAULT_JOB_SETTINGS } from '../src/lib/protocol.ts';
import { openStudioBrowser } from './studio-browser.ts';

/** The studio's and the CLI's default steps: what a person gets without choosing. */
const STEPS = DEFAULT_JOB_SETTINGS.steps;

const args = process.argv.slice(2);
const shot = args.includes('--shot');
const shotAfter = Number(args[args.indexOf('--shot-after') + 1]) || 60;
const scrollTo = args.includes('--scroll') ? args[args.indexOf('--scroll') + 1] : null;
const runs = 3;
/** Step-cost runs (batch 1 and 8 interleaved): their medians swing less than 3 runs' did (b1 6.9–8.3 in one run). */
const costRuns = 5;

const { browser, close } = await openStudioBrowser(4174);
const since = (t0: number) => (Date.now() - t0) / 1000;

async function fresh(): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  return ctx.newPage();
}

try {
  // 1. The default page.
  const page = await fresh();
  const t0 = Date.now();
  await page.goto('http://127.0.0.1:4174/');
  await page.locator('section.band').first().waitFor({ timeout: 120_000 });
  const loaded = since(t0);
  if (scrollTo) {
    await page.waitForTimeout(500);
    await page.locator(`section.band[data-layer="${scrollTo}"]`).evaluate((el) => el.scrollIntoView({ block: 'start' }));
  }
  await page.waitForSelector('.card[data-updates]:not([data-updates="0"])', { timeout: 120_000 });
  const firstSnap = since(t0);
  await page.waitForSelector('.card[data-status="done"]', { timeout: 300_000 });
  const firstDone = since(t0);
  const backend = (await page.getByTestId('backend').innerText()).split('\n')[0];
  console.log(
    `default page (mobilenet_v1_0.75_224, 128 px, ${STEPS} steps, ${backend}): model loaded ${loaded.toFixed(1)} s, first snapshot ${firstSnap.toFixed(1)} s, first finished card ${firstDone.toFixed(1)} s after opening`,
  );
  if (shot) {
    await page.waitForTimeout(Math.max(0, shotAfter * 1000 - (Date.now() - t0)));
    await page.screenshot({ path: 'docs/studio.jpg', type: 'jpeg', quality: 82 });
    console.log(`screenshot docs/studio.jpg at ${since(t0).toFixed(0)} s`);
  }
  await page.context().close();

  // 2. Click → first snapshot, on a loaded model with nothing else running.
  const lat: number[] = [];
  for (let r = 0; r < runs; r++) {
    const p = await fresh();
    await p.goto('http://127.0.0.1:4174/?auto=0');
    await p.locator('section.band[data-layer="conv_pw_6_bn"]').waitFor({ timeout: 120_000 });
    const card = p.locator(`section.band[data-layer="conv_pw_6_bn"] .card[data-channel="${r}"]`);
    const t1 = Date.now();
    await card.click();
    await p.waitForSelector(`section.band[data-layer="conv_pw_6_bn"] .card[data-channel="${r}"]:not([data-updates="0"])`, {
      timeout: 60_000,
    });
    lat.push(since(t1));
    await p.context().close();
  }
  console.log(
    `click → first snapshot (conv_pw_6_bn, step 16 of ${STEPS}): median ${median(lat).toFixed(2)} s (runs: ${lat.map((x) => x.toFixed(2)).join(', ')})`,
  );

  // 2b. "cancel all" → nothing running, with background renders of the default model at 224 px (slow steps) under way.
  const stop: number[] = [];
  for (let r = 0; r < runs; r++) {
    const p = await fresh();
    await p.goto('http://127.0.0.1:4174/?size=224&steps=512');
    const running = () => /[1-9]\d* running/.test(document.querySelector('header.top')?.textContent ?? '');
    await p.waitForFunction(running, null, { timeout: 120_000 });
    await p.waitForTimeout(2500 + r * 370);
    const ms = await p.evaluate(async () => {
      const cancel = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'cancel all')!;
      const t = performance.now();
      cancel.click();
      while (!/(^|\D)0 running/.test(document.querySelector('header.top')?.textContent ?? ''))
        await new Promise((res) => setTimeout(res, 5));
      return performance.now() - t;
    });
    stop.push(ms / 1000);
    await p.context().close();
  }
  console.log(
    `cancel all → 0 running (default model, 224 px, background on): median ${median(stop).toFixed(3)} s (runs: ${stop.map((x) => x.toFixed(3)).join(', ')})`,
  );

  // 3. Step cost in the worker vs the CLI, batch 1 and 8, same layer, size and steps.
  const worker = { b1: [] as number[], b8: [] as number[] };
  const cli = { b1: [] as number[], b8: [] as number[] };
  let cliEngines = 1;
  const p = await fresh();
  await p.goto(`http://127.0.0.1:4174/?auto=0&steps=${STEPS}&size=128&hooks`);
  await p.locator('section.band[data-layer="conv_pw_6_bn"]').waitFor({ timeout: 120_000 });
  const threads = await p.getByTestId('backend').innerText();
  let next = 0;
  /** Renders `batch` new channels as one clicked batch; seconds per image as the worker reports them. */
  const workerRun = (batch: number) => {
    const channels = Array.from({ length: batch }, () => next++);
    return p.evaluate(
      async ({ channels }) => {
        type Card = { status: string; seconds: number | null; key: string };
        const studio = (
          window as unknown as {
            __featurescope: {
              request: (l: string, c: number[], why: string) => void;
              cards: Map<string, Card & { layer: string; channel: number }>;
            };
          }
        ).__featurescope;
        studio.request('conv_pw_6_bn', channels, 'clicked');
        let engines = 0;
        for (;;) {
          const text = document.querySelector('[data-testid="queue-engines"]')?.textContent ?? '';
          engines = Math.max(engines, Number(/on (\d+) engines/.exec(text)?.[1] ?? 1));
          const mine = [...studio.cards.values()].filter((c) => c.layer === 'conv_pw_6_bn' && channels.includes(c.channel));
          if (mine.length === channels.length && mine.every((c) => c.status === 'done'))
            return { seconds: Math.max(...mine.map((c) => c.seconds ?? NaN)), engines };
          await new Promise((res) => setTimeout(res, 50));
        }
      },
      { channels },
    );
  };
  // The page's first batch of several channels starts the helper engines (workers/helper-engines.ts) and renders on
  // the worker's own engine meanwhile: reported on its own, not among the runs.
  const cold = await workerRun(8);
  const engines: number[] = [];
  for (let r = 0; r < costRuns; r++) {
    for (const batch of [1, 8]) {
      const { seconds, engines: e } = await workerRun(batch);
      if (batch === 8) engines.push(e);
      // Both the worker and the CLI report seconds per image (the batch's time divided among its images).
      worker[batch === 1 ? 'b1' : 'b8'].push((seconds * 1000) / STEPS);
      const out = mkdtempSync(join(tmpdir(), 'fs-studio-bench-'));
      const run = spawnSync(
        'npx',
        [
          'tsx',
          'src/cli/render.ts',
          '--layer',
          'conv_pw_6_bn',
          '--channels',
          `0-${batch - 1}`,
          '--steps',
          String(STEPS),
          '--batch',
          String(batch),
          '--size',
          '128',
          '--out',
          out,
        ],
        { encoding: 'utf8' },
      );
      if (run.status !== 0) throw new Error(`CLI failed: ${run.stderr}`);
      // The run's wall seconds: at batch 8 the CLI renders on one engine per core at once (node/render-pool.ts).
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { seconds: number; engines: number };
      rmSync(out, { recursive: true, force: true });
      cli[batch === 1 ? 'b1' : 'b8'].push((manifest.seconds * 1000) / STEPS / batch);
      cliEngines = Math.max(cliEngines, manifest.engines);
    }
  }
  await p.context().close();
  const f = (xs: number[]) => `${median(xs).toFixed(1)} (${xs.map((x) => x.toFixed(1)).join(', ')})`;
  console.log(
    `step cost, conv_pw_6_bn, 128 px, ${STEPS} steps incl. redirection and snapshots, ms per image-step, median (runs):`,
  );
  console.log(
    `  studio worker (${threads.split('\n').slice(0, 2).join(' ')}; batch 8 on ${engines.join('/')} engine(s)): batch 1 ${f(worker.b1)}   batch 8 ${f(worker.b8)}   batch 8 / batch 1 ${(median(worker.b8) / median(worker.b1)).toFixed(2)}`,
  );
  console.log(
    `  studio worker, the page's first batch of 8 (the helper engines starting; on ${cold.engines} engine(s)): ${((cold.seconds * 1000) / STEPS).toFixed(1)}`,
  );
  console.log(
    `  CLI (Node, wasm; batch 8 on ${cliEngines} engine(s), the run's wall time): batch 1 ${f(cli.b1)}   batch 8 ${f(cli.b8)}   batch 8 / batch 1 ${(median(cli.b8) / median(cli.b1)).toFixed(2)}`,
  );
  console.log(
    `  worker / CLI: batch 1 ${(median(worker.b1) / median(cli.b1)).toFixed(2)}   batch 8 ${(median(worker.b8) / median(cli.b8)).toFixed(2)}`,
  );
} finally {
  await close();
}
