// Batches of several channels on wasm render on helper engines, one single-threaded engine per core beside the worker's
// own (workers/helper-engines.ts); a click stays on the worker's engine. What a person sees of it: the queue says
// "on 2 engines", the images are those the worker renders itself, and a helper that dies costs time, not renders.
import { expect, test, type Browser, type Page } from '@playwright/test';

const LAYER = 'conv_pw_3_bn';

type Studio = {
  request(layer: string, channels: number[], why: string): void;
  cards: Map<string, { layer: string; channel: number; status: string; value: number | null }>;
  testHooks: { crashHelper(): void };
};

/** Asks for `channels` of LAYER as one batch (as a band's "render all" does). */
const ask = (page: Page, channels: number[]) =>
  page.evaluate(
    ({ layer, channels }) => (window as unknown as { __featurescope: Studio }).__featurescope.request(layer, channels, 'clicked'),
    { layer: LAYER, channels },
  );

/** The finished cards' values of LAYER, by channel. */
const values = (page: Page, channels: number[]) =>
  page.evaluate(
    ({ layer, channels }) => {
      const s = (window as unknown as { __featurescope: Studio }).__featurescope;
      return channels.map((c) => {
        const card = [...s.cards.values()].find((x) => x.layer === layer && x.channel === c);
        return card?.status === 'done' ? card.value : null;
      });
    },
    { layer: LAYER, channels },
  );

const doneCards = (page: Page) => page.locator(`section.band[data-layer="${LAYER}"] .card[data-status="done"]`);

/** A fresh page (its own cache) on α0.25 at 64 px, background rendering off. */
async function open(browser: Browser, steps = 64): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto(`/?model=mobilenet_v1_0.25_224&auto=0&steps=${steps}&size=64&hooks`);
  await expect(page.locator(`section.band[data-layer="${LAYER}"]`)).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('backend').locator('strong')).toHaveText('wasm');
  return page;
}

/** The first batch starts the helpers (it renders on the worker's own engine meanwhile); the next one uses them. */
async function warm(page: Page) {
  await ask(page, [0, 1]);
  await expect(doneCards(page)).toHaveCount(2, { timeout: 120_000 });
}

test('a batch renders on two engines, with the values of the same renders on the worker’s own engine', async ({ browser }) => {
  test.setTimeout(300_000);
  const page = await open(browser);
  await warm(page);
  const channels = [2, 3, 4, 5];
  await ask(page, channels);
  await expect(page.getByTestId('queue-engines')).toHaveText('on 2 engines', { timeout: 60_000 });
  await expect(doneCards(page)).toHaveCount(6, { timeout: 120_000 });
  const onHelpers = await values(page, channels);
  // The same channels in a fresh page (its own cache), one click each: the worker's own engine.
  const alone = await open(browser);
  for (const c of channels) await ask(alone, [c]);
  await expect(doneCards(alone)).toHaveCount(4, { timeout: 120_000 });
  await expect(alone.getByTestId('queue-engines')).toHaveCount(0);
  const here = await values(alone, channels);
  for (const [i, v] of onHelpers.entries()) {
    expect(v).not.toBeNull();
    expect(v!).toBeGreaterThan(0);
    expect(Math.abs(v! - here[i]!), `channel ${channels[i]}: ${v} on helpers, ${here[i]} alone`).toBeLessThanOrEqual(
      1e-3 * Math.abs(here[i]!),
    );
  }
});

test('a helper engine that dies mid-batch: the batch finishes on the worker’s own engine and the studio says why', async ({
  browser,
}) => {
  test.setTimeout(300_000);
  // 512 steps: long enough to be caught mid-batch.
  const page = await open(browser, 512);
  await warm(page);
  await ask(page, [6, 7, 8, 9]);
  await expect(page.getByTestId('queue-engines')).toHaveText('on 2 engines', { timeout: 60_000 });
  await page.evaluate(() => (window as unknown as { __featurescope: Studio }).__featurescope.testHooks.crashHelper());
  await expect(page.getByText(/a helper engine stopped/)).toBeVisible({ timeout: 30_000 });
  await expect(doneCards(page)).toHaveCount(6, { timeout: 120_000 });
  // The worker itself was not restarted, and nothing failed.
  await expect(page.getByText(/Worker crashed/)).toHaveCount(0);
  await expect(page.locator('.card[data-status="failed"]')).toHaveCount(0);
  // Later batches run on the worker's own engine until another model is opened.
  await ask(page, [10, 11]);
  await expect(doneCards(page)).toHaveCount(8, { timeout: 120_000 });
});

test('a batch on helper engines holds while paused and stops at cancel all', async ({ browser }) => {
  test.setTimeout(300_000);
  const page = await open(browser, 1024);
  await warm(page);
  await ask(page, [12, 13, 14, 15]);
  await expect(page.getByTestId('queue-engines')).toHaveText('on 2 engines', { timeout: 60_000 });
  await page.getByRole('button', { name: 'pause' }).click();
  await expect(page.getByTestId('queue-counts')).toContainText('paused · ');
  const updates = () =>
    page
      .locator(`section.band[data-layer="${LAYER}"] .card[data-status="running"]`)
      .evaluateAll((cs) => cs.map((c) => c.getAttribute('data-updates')).join(','));
  const held = await updates();
  await page.waitForTimeout(3_000);
  expect(await updates()).toBe(held);
  await page.getByRole('button', { name: 'resume' }).click();
  await expect(page.getByTestId('queue-engines')).toHaveText('on 2 engines');
  await page.getByRole('button', { name: 'cancel all' }).click();
  await expect(page.getByTestId('queue-counts')).toContainText('0 running · 0 queued', { timeout: 10_000 });
  // The helpers are free again: the next batch runs on them.
  await ask(page, [16, 17]);
  await expect(page.getByTestId('queue-engines')).toHaveText('on 2 engines', { timeout: 60_000 });
  await expect(doneCards(page)).toHaveCount(4, { timeout: 180_000 });
});
