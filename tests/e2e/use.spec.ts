// The studio as people use it (issue 10): work is kept, the queue obeys, cancel is fine-grained, the detail view keeps
// history, the dialog suggests well, and the page remembers where it was.
import { readdirSync, readFileSync } from 'node:fs';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { decode } from 'fast-png';
import { clickUntilOneWaits } from './waiting.ts';

const SMALL = '/?model=mobilenet_v1_0.25_224&steps=64&size=64&auto=0';
const GRAPH = 'mobilenet_v1_0.25_224_tfhub_graph';
const band = (page: Page, layer: string) => page.locator(`section.band[data-layer="${layer}"]`);
const card = (page: Page, layer: string, ch: number) => band(page, layer).locator(`.card[data-channel="${ch}"]`);
const steps = (page: Page) =>
  page.getByLabel('settings for new renders').locator('label', { hasText: 'steps' }).locator('select');

async function renderCard(page: Page, layer: string, ch: number) {
  await card(page, layer, ch).click();
  await expect(card(page, layer, ch)).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
}

test.beforeEach(async ({ page }) => {
  page.on('pageerror', (e) => console.log('page error:', e.message));
});

/**
 * Another browser context's page (a link opened elsewhere: nothing cached, nothing shared), closed after the test. A
 * page left open goes on rendering in the background (links do not turn that off) and takes CPU from every later test.
 */
const otherContexts: BrowserContext[] = [];
async function pageElsewhere(browser: Browser): Promise<Page> {
  const ctx = await browser.newContext();
  otherContexts.push(ctx);
  return ctx.newPage();
}
test.afterEach(async () => {
  await Promise.all(otherContexts.splice(0).map((c) => c.close()));
});

test('changing a setting keeps the images on screen, marked "other settings", until they are rendered again', async ({
  page,
}) => {
  await page.goto(SMALL);
  await renderCard(page, 'conv_pw_3_bn', 2);
  await steps(page).selectOption('128');
  const c = card(page, 'conv_pw_3_bn', 2);
  await expect(c).toHaveAttribute('data-other', 'yes');
  await expect(c.locator('canvas')).toBeVisible();
  await expect(c).toContainText('other settings');
  await steps(page).selectOption('64');
  await expect(c).toHaveAttribute('data-other', 'no');
  await expect(c).toHaveAttribute('data-status', 'done');
});

test('with background rendering on, a change of settings keeps every image on screen until its new render has one', async ({
  page,
}) => {
  // Background rendering queues every card on screen under the new settings at once; the old images must not give way
  // to "queued" placeholders for the minutes the queue takes.
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=64&size=64');
  const first = [0, 1].map((ch) => card(page, 'conv1_bn', ch));
  for (const c of first) await expect(c).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await page.getByRole('button', { name: 'pause' }).click();
  const seed = page.getByLabel('settings for new renders').locator('label', { hasText: 'seed' }).locator('input');
  await seed.fill('5');
  await seed.press('Enter');
  for (const c of first) {
    await expect(c).toHaveAttribute('data-other', 'yes');
    await expect(c).toHaveAttribute('data-next', 'queued');
    await expect(c.locator('canvas')).toBeVisible();
    // The queue is paused: the waiting render says so rather than "queued".
    await expect(c.getByTestId('next-render')).toHaveText(/paused/);
  }
  // Its cancel button stops the new render and leaves the old image.
  await band(page, 'conv1_bn').getByRole('button', { name: 'cancel 1', exact: true }).click();
  await expect(first[1]).toHaveAttribute('data-next', '');
  await expect(first[1].locator('canvas')).toBeVisible();
  await page.getByRole('button', { name: 'resume' }).click();
  await expect(first[0]).toHaveAttribute('data-other', 'no', { timeout: 60_000 });
  await expect(first[0]).toHaveAttribute('data-status', /running|done/);
});

test('a render asked for before a change of settings still shows, running and marked, and can be cancelled', async ({ page }) => {
  await page.goto(SMALL.replace('steps=64', 'steps=4096'));
  const c = card(page, 'conv_pw_3_bn', 5);
  await c.click();
  await expect(c).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await steps(page).selectOption('64');
  // What a person asked for keeps rendering under its own settings: the card says so instead of looking empty.
  await expect(c).toHaveAttribute('data-other', 'yes');
  await expect(c).toContainText('other settings');
  await expect(c).toHaveAttribute('title', /^running with other settings \(4096 steps/);
  await band(page, 'conv_pw_3_bn').getByRole('button', { name: 'cancel 5', exact: true }).click();
  await expect(c).toHaveAttribute('data-status', 'empty');
  await expect(page.getByTestId('queue-counts')).toContainText('0 running · 0 queued');
});

/** A second tab of the studio in the same browser as `page`, both open on the small model with their workers up. */
async function secondTab(page: Page, context: BrowserContext): Promise<Page> {
  const other = await context.newPage();
  await Promise.all([page.goto(SMALL), other.goto(SMALL)]);
  for (const p of [page, other]) await expect(p.getByTestId('backend')).toContainText('wasm');
  return other;
}

test('two tabs share their renders: one finished in a tab shows in the other without rendering again', async ({
  page,
  context,
}) => {
  const other = await secondTab(page, context);
  // The other tab asks for the same image but holds it queued behind a paused render, as a busy tab would.
  await card(other, 'conv_pw_3_bn', 5).click();
  await expect(card(other, 'conv_pw_3_bn', 5)).toHaveAttribute('data-status', 'running');
  await other.getByRole('button', { name: 'pause' }).click();
  const there = card(other, 'conv_pw_3_bn', 2);
  await there.click();
  await expect(there).toHaveAttribute('data-status', 'queued');
  await expect(other.getByTestId('queue-counts')).toContainText('paused · 1 queued');
  await renderCard(page, 'conv_pw_3_bn', 2);
  await expect(there).toHaveAttribute('data-status', 'done');
  await expect(there).toHaveAttribute('data-cached', 'yes');
  await expect(other.getByText('1 cached')).toBeVisible();
  await expect(other.getByTestId('queue-counts')).toContainText('paused · 0 queued');
  await other.getByRole('button', { name: 'resume' }).click();
  await expect(card(other, 'conv_pw_3_bn', 5)).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByText('2 cached')).toBeVisible();
  await expect(card(page, 'conv_pw_3_bn', 5)).toHaveAttribute('data-cached', 'yes');
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'clear cache' }).click();
  await expect(other.getByText('0 cached')).toBeVisible();
  await expect(there).toHaveAttribute('data-status', 'empty');
  await expect(other.getByText('The cache was cleared in another tab.')).toBeVisible();
  await other.close();
});

test('two tabs asking for the same renders split them: each renders a batch, and both end with every image', async ({
  page,
  context,
}) => {
  const other = await secondTab(page, context);
  // 16 channels: two batches of 8. The first tab's worker claims the first batch, the second tab's the other.
  for (const p of [page, other]) {
    await band(p, 'conv_pw_3_bn').getByLabel('channels to render').fill('0-15');
    await band(p, 'conv_pw_3_bn').getByRole('button', { name: 'render', exact: true }).click();
  }
  await expect(other.getByTestId('queue-elsewhere')).toContainText('8 in another tab');
  for (const p of [page, other])
    await expect(band(p, 'conv_pw_3_bn').locator('.card[data-status="done"]')).toHaveCount(16, { timeout: 120_000 });
  await expect(page.getByText('16 cached')).toBeVisible();
  await expect(other.getByText('16 cached')).toBeVisible();
  // Rendered once between them: each tab rendered 8 and took the other 8 from the cache.
  for (const p of [page, other]) {
    await expect(p.getByTestId('queue-counts')).toContainText('0 running · 0 queued · 8 done');
    await expect(band(p, 'conv_pw_3_bn').locator('.card[data-cached="yes"]')).toHaveCount(8);
  }
  await expect(other.getByTestId('queue-elsewhere')).toHaveCount(0);
  await other.close();
});

test("on a narrow window nothing runs past the page's right edge: band actions wrap below the layer's facts", async ({
  page,
}) => {
  await page.goto(SMALL);
  await expect(band(page, 'conv_pw_3_bn').getByRole('button', { name: 'sheet' })).toBeVisible();
  for (const width of [1024, 800]) {
    await page.setViewportSize({ width, height: 700 });
    const past = await page.evaluate(
      () =>
        [...document.querySelectorAll('header button, header select, header input, .bar select, .bar input')]
          .map((e) => e.getBoundingClientRect())
          .filter((r) => r.width > 0 && r.right > innerWidth + 0.5).length,
    );
    expect(past, `controls past the right edge at ${width} px`).toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  }
});

test('a reload keeps what a person asked for: unfinished renders are queued again, finished ones come from the cache', async ({
  page,
}) => {
  await page.goto(SMALL);
  await renderCard(page, 'conv_pw_3_bn', 2);
  await expect(page.getByText('1 cached')).toBeVisible(); // written to IndexedDB before the page goes
  // A long render, and two queued behind it, asked for before a reload.
  await page.goto(SMALL.replace('steps=64', 'steps=4096'));
  await card(page, 'conv_pw_3_bn', 5).click();
  await expect(card(page, 'conv_pw_3_bn', 5)).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await band(page, 'conv_pw_3_bn').getByLabel('channels to render').fill('6,12');
  await band(page, 'conv_pw_3_bn').getByRole('button', { name: 'render', exact: true }).click();
  await expect(page.getByTestId('queue-counts')).toContainText('1 running · 2 queued');
  await page.reload();
  await expect(page.getByText('3 renders you asked for before the reload are queued again.')).toBeVisible({ timeout: 60_000 });
  for (const ch of [5, 6, 12]) await expect(card(page, 'conv_pw_3_bn', ch)).toHaveAttribute('data-status', /queued|running/);
  // The render that had finished is back from the cache, not asked for again.
  await steps(page).selectOption('64');
  await expect(card(page, 'conv_pw_3_bn', 2)).toHaveAttribute('data-cached', 'yes');
  await page.getByRole('button', { name: 'cancel all' }).click();
  // Cancelled, nothing is left to ask for after the next reload.
  await page.reload();
  await expect(card(page, 'conv_pw_3_bn', 2)).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  // The header counts this page's renders; the one read back from the cache is in the cache's count.
  await expect(page.getByTestId('queue-counts')).toHaveText('0 running · 0 queued · 0 done');
  await expect(page.getByText('1 cached')).toBeVisible();
  await expect(page.getByText(/before the reload/)).toHaveCount(0);
});

test('steps from the URL that the list does not offer are shown as chosen, not as an empty choice', async ({ page }) => {
  await page.goto(SMALL.replace(/steps=\d+/, 'steps=96'));
  await expect(steps(page)).toHaveValue('96');
  await expect(steps(page).locator('option:checked')).toHaveText('96');
  await steps(page).selectOption('128');
  await expect(steps(page)).toHaveValue('128');
});

test('a click preempts background work: its first snapshot comes within seconds even with a full queue', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/?model=mobilenet_v1_0.75_224&steps=512&size=128');
  await expect(page.locator('section.band .card[data-status="running"]').first()).toBeVisible({ timeout: 90_000 });
  const c = card(page, 'conv_pw_11_bn', 7);
  await c.scrollIntoViewIfNeeded();
  await expect(page.getByText(/\d+ ms\/step/)).toBeVisible({ timeout: 60_000 });
  const msPerStep = Number((await page.getByText(/\d+ ms\/step/).textContent())!.match(/(\d+) ms/)![1]);
  const clicked = Date.now();
  await c.click();
  await expect(c).not.toHaveAttribute('data-updates', '0', { timeout: 60_000 });
  const wait = (Date.now() - clicked) / 1000;
  console.log(`click → first snapshot ${wait.toFixed(1)} s with the background queue full (${msPerStep} ms/step)`);
  // Without preemption the click waits for the running 512-step batch. With it: the first snapshot at step 16 of its
  // own batch, within the time of 96 steps plus the batch's start (and stopping the one before).
  expect(wait).toBeLessThan((96 * msPerStep) / 1000 + 3);
});

test('a click while the gallery renders: the renders it outranks wait with their images, then finish from where they were', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=512&size=64');
  await expect(page.locator('section.band .card[data-status="running"][data-updates="1"]').first()).toBeVisible({
    timeout: 90_000,
  });
  // The render waits: still running to the page, with its image, and says so.
  const { clicked: target, waiting: seen } = await clickUntilOneWaits(page);
  expect(seen).toMatchObject({ status: 'running', image: true });
  expect(seen.label).toContain('waiting');
  const w = card(page, seen.layer, seen.channel);
  await expect(target).not.toHaveAttribute('data-updates', '0', { timeout: 60_000 });
  await expect(w).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  await expect(w).toHaveAttribute('data-waiting', 'no');
  // It went on from its step: each of its 17 snapshots (16, 32, 64, …, 512) came once. Started again, it would have
  // streamed its first ones twice.
  await expect(w).toHaveAttribute('data-updates', '17');
});

test('a click while a whole layer renders starts at once: the running batch of that layer waits for it', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=512&size=64&auto=0');
  const whole = band(page, 'conv_pw_6_bn');
  page.once('dialog', (d) => void d.accept());
  await whole.getByRole('button', { name: 'render whole layer' }).click();
  // Early in its batch (first snapshot only), so that the click comes while it runs.
  const layerCard = whole.locator('.card[data-status="running"][data-updates="1"]').first();
  await expect(layerCard).toBeVisible({ timeout: 90_000 });
  const w = card(page, 'conv_pw_6_bn', Number(await layerCard.getAttribute('data-channel')));
  const c = card(page, 'conv_pw_2_bn', 3);
  await c.click();
  await expect(w).toHaveAttribute('data-waiting', 'yes', { timeout: 30_000 });
  await expect(c).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  // The layer's card was still waiting when the click's render ended, and goes on afterwards.
  await expect(w).not.toHaveAttribute('data-status', 'done');
  await expect(w).toHaveAttribute('data-waiting', 'no', { timeout: 30_000 });
  await expect(w).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  await expect(w).toHaveAttribute('data-updates', '17');
  await page.getByRole('button', { name: 'cancel all' }).click();
});

test('cancel one card, or one band; "show fewer" folds a band back', async ({ page }) => {
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=512&size=64&auto=0');
  const c = card(page, 'conv_pw_2_bn', 1);
  await c.click();
  await expect(c).toHaveAttribute('data-status', /queued|running/);
  await page.getByRole('button', { name: 'cancel 1', exact: true }).first().click();
  await expect(c).toHaveAttribute('data-status', 'empty');
  const b = band(page, 'conv_pw_4_bn');
  await b.getByLabel('channels to render').fill('0-5');
  await b.getByRole('button', { name: 'render', exact: true }).click();
  await expect(b.locator('.card[data-status="queued"], .card[data-status="running"]')).toHaveCount(6);
  // The band's own time left, from ms/step measured on this layer.
  await expect(b.getByTestId('band-eta')).toContainText(/≈ \d+ (s|min \d+ s) left/, { timeout: 60_000 });
  await b.getByRole('button', { name: 'cancel 6' }).click();
  await expect(b.locator('.card[data-status="queued"], .card[data-status="running"]')).toHaveCount(0);
  await expect(page.getByTestId('queue-counts')).toContainText('0 running · 0 queued');
  await b.getByRole('button', { name: /show all/ }).click();
  await expect(b.locator('.card')).toHaveCount(64);
  await b.getByRole('button', { name: 'show fewer' }).click();
  await expect(b.locator('.card')).toHaveCount(10);
});

test('whole-layer renders and clearing the cache ask first; paused shows as paused', async ({ page }) => {
  await page.goto(SMALL);
  await renderCard(page, 'conv_pw_3_bn', 0);
  const b = band(page, 'conv_pw_6_bn');
  page.once('dialog', (d) => {
    expect(d.message()).toMatch(/Render all 128 channels of conv_pw_6_bn/);
    void d.dismiss();
  });
  await b.getByRole('button', { name: 'render whole layer' }).click();
  await expect(page.getByTestId('queue-counts')).toContainText('0 queued');
  page.once('dialog', (d) => {
    expect(d.message()).toMatch(/Delete all 1 cached renders/);
    void d.dismiss();
  });
  await page.getByRole('button', { name: 'clear cache' }).click();
  await expect(page.getByText('1 cached')).toBeVisible();
  await steps(page).selectOption('512');
  await card(page, 'conv_pw_3_bn', 1).click();
  await expect(card(page, 'conv_pw_3_bn', 1)).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await page.getByRole('button', { name: 'pause' }).click();
  await expect(page.getByTestId('queue-counts')).toContainText('paused · ');
  await page.getByRole('button', { name: 'resume' }).click();
  await expect(page.getByTestId('queue-counts')).toContainText('1 running');
});

test("the detail view steps through a layer's channels with the arrow keys and buttons, rendering the ones not yet there", async ({
  page,
}) => {
  await page.goto(SMALL);
  await renderCard(page, 'conv_pw_3_bn', 1);
  await card(page, 'conv_pw_3_bn', 1).click();
  const dlg = page.getByRole('dialog');
  await expect(dlg.getByRole('heading', { level: 2 })).toHaveText('conv_pw_3_bn · channel 1');
  // The view opens with the focus on close (Enter closes it, as before the arrows existed).
  await expect(dlg.getByRole('button', { name: 'close' })).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(dlg.getByRole('heading', { level: 2 })).toHaveText('conv_pw_3_bn · channel 2');
  // Not rendered before: asked for as a click, it renders and shows in the detail view and in its band.
  await expect(card(page, 'conv_pw_3_bn', 2)).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(dlg.locator('canvas.big')).toBeVisible();
  await dlg.getByRole('button', { name: 'previous channel' }).click();
  await expect(dlg.getByRole('heading', { level: 2 })).toHaveText('conv_pw_3_bn · channel 1');
  await page.keyboard.press('ArrowLeft');
  await expect(dlg.getByRole('heading', { level: 2 })).toHaveText('conv_pw_3_bn · channel 0');
  await expect(dlg.getByRole('button', { name: 'previous channel' })).toBeDisabled();
  // The button the step disabled had the focus: it goes to close, not to the page behind.
  await expect(dlg.getByRole('button', { name: 'close' })).toBeFocused();
  // The step slider keeps its own arrow keys.
  await expect(card(page, 'conv_pw_3_bn', 0)).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await dlg.getByLabel('snapshot').focus();
  await page.keyboard.press('ArrowLeft');
  await expect(dlg.getByText(/^step 32 \/ 64/)).toBeVisible();
  await page.keyboard.press('ArrowRight');
  await expect(dlg.getByRole('heading', { level: 2 })).toHaveText('conv_pw_3_bn · channel 0');
});

test('the detail view keeps every seed, downloads a snapshot as that snapshot, and marks its step on the curve', async ({
  page,
}) => {
  await page.goto(SMALL);
  await renderCard(page, 'conv_pw_5_bn', 3);
  await card(page, 'conv_pw_5_bn', 3).click();
  const dlg = page.getByRole('dialog');
  // A modal view: Escape closes it at once (the click left no focus behind it to swallow the key), and while it is
  // open the page behind is out of reach of the keyboard.
  await expect(dlg).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dlg).toHaveCount(0);
  await card(page, 'conv_pw_5_bn', 3).click();
  for (let i = 0; i < 12; i++) await page.keyboard.press('Tab');
  expect(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog')))).toBe(true);
  await dlg.getByRole('button', { name: /re-render, seed 1/ }).click();
  const history = dlg.getByLabel('seed history');
  await expect(history.locator('figure')).toHaveCount(2);
  await expect(dlg.getByRole('button', { name: 'download seed 1' })).toBeVisible({ timeout: 120_000 });
  await history.getByTitle('seed 0').click();
  await dlg.getByLabel('snapshot').fill('0');
  await expect(dlg.locator('.curve .marker')).toHaveAttribute('data-step', '16');
  const [dl] = await Promise.all([page.waitForEvent('download'), dlg.getByRole('button', { name: 'download PNG' }).click()]);
  expect(dl.suggestedFilename()).toBe('mobilenet_v1_0.25_224-conv_pw_5_bn-3-step16.png');
  const meta = JSON.parse(decode(readFileSync(await dl.path())).text.featurescope);
  expect(meta).toMatchObject({ step: 16, channel: 3, settings: { steps: 64, seed: 0 } });
});

test('a notice that comes while a view is open shows in that view, in reach, and goes with its dismiss button', async ({
  page,
}) => {
  await page.goto(`${SMALL}&hooks`);
  await renderCard(page, 'conv_pw_5_bn', 3);
  await card(page, 'conv_pw_5_bn', 3).click();
  const dlg = page.getByRole('dialog');
  await expect(dlg).toBeVisible();
  await page.evaluate(() =>
    (window as unknown as { __featurescope: { testHooks: { crashWorker(): void } } }).__featurescope.testHooks.crashWorker(),
  );
  // Behind the modal it would sit under the backdrop, inert; in the view it can be read and dismissed.
  const notice = dlg.getByRole('alert').filter({ hasText: 'Worker crashed' });
  await expect(notice).toBeVisible();
  await notice.getByRole('button', { name: 'dismiss' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Worker crashed' })).toHaveCount(0);
  await expect(dlg).toBeVisible();
  // Closed, the page shows its notices again: one that comes now is on the page.
  await page.keyboard.press('Escape');
  await expect(dlg).toHaveCount(0);
  await page.evaluate(() =>
    (window as unknown as { __featurescope: { testHooks: { crashWorker(): void } } }).__featurescope.testHooks.crashWorker(),
  );
  await expect(page.getByRole('alert').filter({ hasText: 'Worker crashed' })).toBeVisible();
});

test('after a reload: the class renders are back, and the page opens on the model last used', async ({ page }) => {
  await page.goto(SMALL);
  const logits = band(page, 'conv_preds');
  await logits.scrollIntoViewIfNeeded();
  await logits.getByLabel('class search').fill('tabby');
  await logits.getByRole('option', { name: /tabby/ }).click();
  await expect(logits.locator('.card[data-channel="281"]')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  // The image is written to the cache after it is done: a reload before that renders it again (and failed this test
  // once in a fresh-clone CI run, session 25).
  await expect(page.getByText('1 cached')).toBeVisible({ timeout: 30_000 });
  await page.reload();
  await expect(band(page, 'conv_preds').locator('.card[data-channel="281"]')).toHaveAttribute('data-cached', 'yes', {
    timeout: 60_000,
  });
  await page.getByLabel('model').selectOption(GRAPH);
  await expect(page.locator('section.band[data-layer^="module_apply_default"]').first()).toBeVisible({ timeout: 60_000 });
  await page.goto('/?steps=64&size=64&auto=0');
  await expect(page.getByLabel('model')).toHaveValue(GRAPH);
  await expect(page.locator('section.band').first()).toBeVisible({ timeout: 60_000 });
  // Graph layer names in the list lose the path they all share, so they can be told apart.
  const names = await page.getByRole('navigation', { name: 'layers' }).locator('.name').allTextContents();
  expect(names[0]).toBe('Conv2d_0');
  expect(names.at(-1)).toMatch(/^Logits\//);
  expect(new Set(names).size).toBe(names.length);
  await expect(page.locator('section.band').first()).toContainText('BatchNorm (folded)');
});

test('a jump from the layer list shows the band header below the sticky bar', async ({ page }) => {
  await page.goto(SMALL);
  await page
    .getByRole('navigation', { name: 'layers' })
    .getByRole('link', { name: /^conv_pw_9_bn/ })
    .click();
  const h = band(page, 'conv_pw_9_bn').locator('h3');
  await expect(h).toBeInViewport();
  const top = await page.locator('header.top').boundingBox();
  const title = await h.boundingBox();
  expect(title!.y).toBeGreaterThanOrEqual(top!.y + top!.height);
});

test('the dialog names a model after its folder or file, and marks the most confident range', async ({ page }) => {
  await page.goto(SMALL);
  await page.getByRole('button', { name: 'open model…' }).click();
  const dlg = page.getByRole('dialog', { name: 'open model' });
  const dir = 'models/cache/mobilenet_v1_0.25_224';
  await dlg.getByLabel('model files', { exact: true }).setInputFiles(readdirSync(dir).map((f) => `${dir}/${f}`));
  await expect(dlg.getByLabel('model name')).toHaveValue('my_model');
  await dlg.getByRole('button', { name: 'check on sample photos' }).click();
  const table = dlg.getByLabel('predictions per input range');
  await expect(table.locator('tr.confident')).toHaveCount(1, { timeout: 60_000 });
  await expect(table.locator('tr.confident')).toContainText('most confident labels');
  // Nothing stated by the model: nothing is "recommended".
  await expect(table.locator('tr.recommended')).toHaveCount(0);
});

test('a link to an image renders exactly that image in a fresh page and opens it', async ({ page, browser }) => {
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=64&size=64&seed=3&auto=0');
  await renderCard(page, 'conv_pw_6_bn', 9);
  await card(page, 'conv_pw_6_bn', 9).click();
  const link = await page.getByRole('dialog').getByLabel('link to this image').inputValue();
  expect(link).toMatch(/model=mobilenet_v1_0\.25_224&layer=conv_pw_6_bn&channel=9&objective=channel&size=64&steps=64&seed=3/);
  const [first] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'download PNG' }).click()]);
  const fresh = await pageElsewhere(browser);
  await fresh.goto(link);
  const dlg = fresh.getByRole('dialog');
  await expect(dlg).toContainText('conv_pw_6_bn · channel 9', { timeout: 60_000 });
  await expect(dlg.getByRole('button', { name: 'download PNG' })).toBeEnabled();
  await expect(card(fresh, 'conv_pw_6_bn', 9)).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const [second] = await Promise.all([fresh.waitForEvent('download'), dlg.getByRole('button', { name: 'download PNG' }).click()]);
  const a = decode(readFileSync(await first.path()));
  const b = decode(readFileSync(await second.path()));
  expect(b.width).toBe(64);
  expect(Buffer.from(b.data as Uint8Array).equals(Buffer.from(a.data as Uint8Array))).toBe(true);
});

test('stepping quickly through channels in the detail view renders the one looked at first, not in a batch with those passed', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await page.goto(SMALL.replace('steps=64', 'steps=512'));
  await renderCard(page, 'conv_pw_3_bn', 1);
  await card(page, 'conv_pw_3_bn', 1).click();
  const dlg = page.getByRole('dialog');
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await expect(dlg.getByRole('heading', { level: 2 })).toHaveText('conv_pw_3_bn · channel 6');
  await expect(card(page, 'conv_pw_3_bn', 6)).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  // The channels stepped past are still to come (a batch with channel 6 would have finished them with it).
  const passed = await Promise.all([3, 4, 5].map((ch) => card(page, 'conv_pw_3_bn', ch).getAttribute('data-status')));
  expect(passed).not.toContain('done');
  for (const ch of [2, 3, 4, 5])
    await expect(card(page, 'conv_pw_3_bn', ch)).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
});

test('composed objectives from the detail view: negative, difference, an interpolation strip in one batch, a unit at a click', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await page.goto(SMALL);
  await renderCard(page, 'conv_pw_5_bn', 2);
  await card(page, 'conv_pw_5_bn', 2).click();
  const dlg = page.getByRole('dialog');
  const strip = dlg.getByLabel('composed images');
  await dlg.getByRole('button', { name: 'negative' }).click();
  // The other channel starts as the next one; itself (a difference of nothing) or no channel at all is refused.
  const other = dlg.getByLabel('other channel');
  await expect(other).toHaveValue('3');
  for (const [value, why] of [
    ['2', 'pick another channel than this one'],
    ['64', 'pick a channel from 0 to 63'],
    ['', 'pick a channel from 0 to 63'],
  ]) {
    await other.fill(value);
    await expect(dlg.getByTestId('compose-why')).toHaveText(why);
    for (const name of ['sum', 'difference', 'interpolate ×5'])
      await expect(dlg.getByRole('button', { name, exact: true })).toBeDisabled();
  }
  await other.fill('9');
  await expect(dlg.getByTestId('compose-why')).toHaveCount(0);
  await dlg.getByRole('button', { name: 'difference' }).click();
  await dlg.getByRole('button', { name: 'interpolate ×5' }).click();
  await expect(strip.locator('figure')).toHaveCount(7);
  await expect(strip.locator('figure[data-status="done"]')).toHaveCount(7, { timeout: 180_000 });
  await expect(strip).toContainText('−2');
  await expect(strip).toContainText('2 − 9');
  await expect(strip).toContainText('2 → 9 (50 %)');
  // A composed image opens like any other, and downloads under its own name and description.
  await strip.getByTitle('2 − 9').click();
  await expect(dlg).toContainText('conv_pw_5_bn · composed 2 − 9');
  const [dl] = await Promise.all([page.waitForEvent('download'), dlg.getByRole('button', { name: 'download PNG' }).click()]);
  expect(dl.suggestedFilename()).toBe('mobilenet_v1_0.25_224-conv_pw_5_bn-2-minus-9.png');
  const meta = JSON.parse(decode(readFileSync(await dl.path())).text.featurescope);
  expect(meta.combo).toEqual({ kind: 'diff', other: 9 });
  // Back on the channel: a click on the image renders the unit at that point.
  await page.getByRole('button', { name: 'close' }).click();
  await card(page, 'conv_pw_5_bn', 2).click();
  await dlg.locator('canvas.big').click({ position: { x: 40, y: 300 } });
  // conv_pw_5_bn has stride 8: at 64 px its grid is 8×8; (x 40, y 300) of 384 px is cell (row 6, column 0), whose
  // centre is (0.8125, 0.0625).
  await expect(dlg).toContainText(/composed\s+2 at \(0\.81, 0\.06\)/);
});

test('scrolling through the gallery leaves no queue behind: bands that left the screen drop what only being seen asked for', async ({
  page,
}) => {
  // Background on; long renders so that nothing finishes while scrolling.
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=1024&size=64');
  await expect(band(page, 'conv_pw_13_bn')).toBeVisible({ timeout: 60_000 });
  for (let y = 0; y < 12; y++) {
    await page.mouse.wheel(0, 700);
    await page.waitForTimeout(150);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(500);
  // Channels 2 and 3 are asked for only by being on screen (0 and 1 also render in the background).
  const leftovers = await page.evaluate(() => {
    let n = 0;
    for (const b of document.querySelectorAll<HTMLElement>('section.band')) {
      const r = b.getBoundingClientRect();
      if (r.bottom > 0 && r.top < window.innerHeight) continue;
      n += b.querySelectorAll(
        '.card[data-channel="2"][data-status="queued"], .card[data-channel="3"][data-status="queued"]',
      ).length;
    }
    return n;
  });
  expect(leftovers).toBe(0);
});

test("a kept model's input range can be changed later; it reopens with it and its renders are kept apart", async ({ page }) => {
  await page.goto(SMALL);
  await page.getByRole('button', { name: 'open model…' }).click();
  const dlg = page.getByRole('dialog', { name: 'open model' });
  await dlg.getByLabel('model URL').fill('/models/mobilenet_v1_0.25_224/model.json');
  await dlg.getByLabel('model name').fill('ranged');
  await dlg.getByRole('radio', { name: '[0, 1]' }).check();
  await dlg.getByRole('button', { name: 'open and keep in this browser' }).click();
  await expect(page.getByLabel('model')).toHaveValue('user:ranged');
  await renderCard(page, 'conv_pw_3_bn', 1);
  await page.getByRole('button', { name: 'open model…' }).click();
  const kept = dlg.locator('li[data-model="ranged"]');
  await expect(kept).toContainText('[0, 1]');
  await kept.getByRole('button', { name: 'range' }).click();
  await kept.getByLabel('new range').selectOption({ label: '[-1, 1]' });
  await kept.getByRole('button', { name: 'save range' }).click();
  await expect(kept).toContainText('[-1, 1]');
  await page.getByRole('button', { name: 'close' }).first().click();
  // Reopened under the new range: the render made under [0, 1] is not shown as this range's.
  await expect(band(page, 'conv_pw_3_bn')).toBeVisible();
  await expect(card(page, 'conv_pw_3_bn', 1)).toHaveAttribute('data-status', 'empty', { timeout: 60_000 });
  await renderCard(page, 'conv_pw_3_bn', 1);
});

test("a link to an image of a person's model opened by URL names that URL and range, and works in another browser", async ({
  page,
  browser,
}) => {
  await page.goto(SMALL);
  await page.getByRole('button', { name: 'open model…' }).click();
  const dlg = page.getByRole('dialog', { name: 'open model' });
  await dlg.getByLabel('model URL').fill('/models/mobilenet_v1_0.25_224/model.json');
  await dlg.getByLabel('model name').fill('by_url');
  await dlg.getByRole('radio', { name: '[-1, 1]' }).check();
  await dlg.getByRole('button', { name: 'open and keep in this browser' }).click();
  await expect(page.getByLabel('model')).toHaveValue('user:by_url');
  await renderCard(page, 'conv_pw_4_bn', 6);
  await card(page, 'conv_pw_4_bn', 6).click();
  const link = await page.getByRole('dialog').getByLabel('link to this image').inputValue();
  expect(decodeURIComponent(link)).toContain(
    'model=http://127.0.0.1:4173/models/mobilenet_v1_0.25_224/model.json&range=-1,1&layer=conv_pw_4_bn&channel=6',
  );
  const [first] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'download PNG' }).click()]);
  const fresh = await pageElsewhere(browser);
  await fresh.goto(link);
  await expect(card(fresh, 'conv_pw_4_bn', 6)).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const [second] = await Promise.all([
    fresh.waitForEvent('download'),
    fresh.getByRole('dialog').getByRole('button', { name: 'download PNG' }).click(),
  ]);
  const a = decode(readFileSync(await first.path()));
  const b = decode(readFileSync(await second.path()));
  expect(Buffer.from(b.data as Uint8Array).equals(Buffer.from(a.data as Uint8Array))).toBe(true);
  // The link's model was not kept in that browser: its next visit without a model in the address opens the default
  // model, not a failed attempt at the link's.
  await fresh.goto('/?auto=0');
  await expect(fresh.locator('section.band').first()).toBeVisible({ timeout: 60_000 });
  await expect(fresh.getByLabel('model')).toHaveValue('mobilenet_v1_0.75_224');
  expect((await fresh.getByRole('alert').allTextContents()).join('\n')).not.toMatch(/failed to load/);
});

test('DeepDream cards are labelled as such, in the band and in the detail view', async ({ page }) => {
  await page.goto(SMALL);
  await page
    .getByLabel('settings for new renders')
    .locator('label', { hasText: 'objective' })
    .locator('select')
    .selectOption('layer');
  const c = card(page, 'conv_pw_3_bn', 1);
  await expect(c).toContainText('dream 1');
  await c.click();
  await expect(c).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await c.click();
  await expect(page.getByRole('dialog')).toContainText('conv_pw_3_bn · DeepDream image 1');
});
