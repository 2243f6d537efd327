/**
 * `npm run bench:studio`: what a person waits for in the built studio, in Debian's Chromium (headless).
 *  - default page (MobileNet v1 α0.75, default settings, auto-render): model loaded, first snapshot in the gallery,
 *    first finished card — and a screenshot after `--shot-after` seconds (docs/studio.jpg with --shot);
 *  - click latency: with auto-render off, time from clicking a channel to its first snapshot (step 32).
 * Needs a build (`vite build`); starts `vite preview` itself.
 */
import { spawn } from 'node:child_process';
import { chromium, type Page } from '@playwright/test';

const args = process.argv.slice(2);
const shot = args.includes('--shot');
const shotAfter = Number(args[args.indexOf('--shot-after') + 1]) || 60;
const scrollTo = args.includes('--scroll') ? args[args.indexOf('--scroll') + 1] : null;
const runs = 3;

const server = spawn('npx', ['vite', 'preview', '--port', '4174', '--strictPort'], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 2500));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--disable-quic', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'],
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
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
  console.log(`default page (mobilenet_v1_0.75_224, 128 px, 256 steps, ${backend}): model loaded ${loaded.toFixed(1)} s, first snapshot ${firstSnap.toFixed(1)} s, first finished card ${firstDone.toFixed(1)} s after opening`);
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
    await p.waitForSelector(`section.band[data-layer="conv_pw_6_bn"] .card[data-channel="${r}"]:not([data-updates="0"])`, { timeout: 60_000 });
    lat.push(since(t1));
    await p.context().close();
  }
  console.log(`click → first snapshot (conv_pw_6_bn, step 32 of 256): median ${median(lat).toFixed(2)} s (runs: ${lat.map((x) => x.toFixed(2)).join(', ')})`);
} finally {
  await browser.close();
  server.kill();
}
