/**
 * `npm run bench:tabs`: the same renders asked for in one tab, and in two tabs of one browser, each from an empty cache.
 * With render claims (workers/render-claims.ts) two tabs split the work — each render is done once between them — and
 * with render turns (workers/render-turn.ts) one batch computes at a time, so their wall time stays near one tab's;
 * before, each tab rendered (nearly) every image, both at once. MobileNet v1 α0.25, conv_pw_3_bn channels 0–31 (4
 * batches of 8), 64 px, 128 steps, wasm, background rendering off. `--reps N` (default 3): medians of N runs of each
 * mode, interleaved. Needs a build (`vite build`).
 */
import type { Browser, Page } from '@playwright/test';
import { median } from './stats.ts';
import { openStudioBrowser } from './studio-browser.ts';

const args = process.argv.slice(2);
const reps = args.includes('--reps') ? Number(args[args.indexOf('--reps') + 1]) : 3;
const PORT = 4178;
const URL = `http://127.0.0.1:${PORT}/?model=mobilenet_v1_0.25_224&steps=128&size=64&auto=0&backend=wasm`;
const BAND = 'section.band[data-layer="conv_pw_3_bn"]';
const N = 32;

async function ready(page: Page) {
  await page.goto(URL);
  await page.getByTestId('backend').locator('strong').filter({ hasText: 'wasm' }).waitFor({ timeout: 120_000 });
  await page.locator(BAND).waitFor({ timeout: 120_000 });
}

/**
 * A page whose model just loaded is still busy for a few seconds (the load's warm-up passes, reading the sample photos
 * for the model): the timed part starts once every page has been quiet for a while, or the second tab's start-up
 * would be counted against the first tab's renders.
 */
const SETTLE_MS = 8000;

async function ask(page: Page) {
  await page
    .locator(BAND)
    .getByLabel('channels to render')
    .fill(`0-${N - 1}`);
  await page.locator(BAND).getByRole('button', { name: 'render', exact: true }).click();
}

/** Renders this page finished itself (the rest it took from the cache), read from the header's "N done". */
async function doneHere(page: Page): Promise<number> {
  const text = (await page.getByTestId('queue-counts').textContent()) ?? '';
  return Number(/(\d+) done/.exec(text)?.[1] ?? NaN);
}

/**
 * Waits until the page shows all N done, asking from here every 50 ms: a page behind another tab is a background tab,
 * whose own timers (and so an in-page poll) Chromium slows to once a second.
 */
async function allDone(page: Page) {
  const done = page.locator(`${BAND} .card[data-status="done"]`);
  for (const end = performance.now() + 600_000; performance.now() < end;) {
    if ((await done.count()) === N) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not all ${N} renders done in 10 min`);
}

type Mode = 'alone' | 'behind an idle tab' | 'two tabs';

/**
 * One run in a fresh context: seconds until the asking pages show all N, and the renders each page did itself.
 * "alone": one page. "behind an idle tab": the same page with a second studio page opened after it (so in front) that
 * asks for nothing: what Chromium's background-tab treatment costs. "two tabs": both pages ask for the same N.
 */
async function run(browser: Browser, mode: Mode): Promise<{ seconds: number; rendered: number[] }> {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  try {
    const pages = [await ctx.newPage()];
    if (mode !== 'alone') pages.push(await ctx.newPage());
    for (const p of pages) await ready(p);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const asking = mode === 'two tabs' ? pages : [pages[0]];
    const t0 = performance.now();
    await Promise.all(asking.map(ask));
    await Promise.all(asking.map(allDone));
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, rendered: await Promise.all(asking.map(doneHere)) };
  } finally {
    await ctx.close();
  }
}

const MODES: Mode[] = ['alone', 'behind an idle tab', 'two tabs'];
const { browser, close } = await openStudioBrowser(PORT);
try {
  const seconds = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  const split: number[][] = [];
  for (let r = 0; r < reps; r++)
    for (const mode of MODES) {
      const t = await run(browser, mode);
      seconds.get(mode)!.push(+t.seconds.toFixed(2));
      if (mode === 'two tabs') split.push(t.rendered);
    }
  const med = (m: Mode) => median(seconds.get(m)!);
  console.log(
    JSON.stringify({
      renders: N,
      seconds: Object.fromEntries(seconds),
      renderedPerTabOfTwo: split,
      median: Object.fromEntries(MODES.map((m) => [m, +med(m).toFixed(2)])),
      twoTabsOverAlone: +(med('two tabs') / med('alone')).toFixed(2),
      twoTabsOverBehindIdle: +(med('two tabs') / med('behind an idle tab')).toFixed(2),
    }),
  );
} finally {
  await close();
}
