// The studio's state when things change mid-flight (issue 9): background rendering on, switching model and backend
// while loading or rendering, a worker that stops answering, a hostile shared link.
import { expect, test, type Page } from '@playwright/test';
import { clickUntilOneWaits } from './waiting.ts';

const GRAPH = 'mobilenet_v1_0.25_224_tfhub_graph';
const band = (page: Page, layer: string) => page.locator(`section.band[data-layer="${layer}"]`);
const card = (page: Page, layer: string, ch: number) => band(page, layer).locator(`.card[data-channel="${ch}"]`);
const hooks = (page: Page, f: string, ...args: unknown[]) =>
  page.evaluate(
    ([name, a]) =>
      (
        window as unknown as { __featurescope: { testHooks: Record<string, (...x: unknown[]) => void> } }
      ).__featurescope.testHooks[name as string](...(a as unknown[])),
    [f, args] as const,
  );

test.beforeEach(async ({ page }) => {
  page.on('pageerror', (e) => console.log('page error:', e.message));
});

test('with background rendering on, switching model mid-render gives the new model its own background renders', async ({
  page,
}) => {
  test.setTimeout(300_000);
  // Background rendering on (no auto=0): every band asks for a couple of channels. 160 steps, so that a batch is still
  // running when the test looks for one (at 32 steps the whole background queue can finish between two looks).
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=160&size=64');
  await expect(page.locator('section.band .card[data-status="done"]').first()).toBeVisible({ timeout: 120_000 });
  await expect(page.locator('section.band .card[data-status="running"]').first()).toBeVisible({ timeout: 60_000 });
  await page.getByLabel('model').selectOption(GRAPH);
  await expect(page.getByLabel('model')).toHaveValue(GRAPH);
  // The graph model's own bands fill in by themselves.
  const graphBand = page.locator('section.band[data-layer^="module_apply_default"]').first();
  await expect(graphBand).toBeVisible({ timeout: 60_000 });
  await expect(page.locator('section.band[data-layer^="module_apply_default"] .card[data-status="done"]').first()).toBeVisible({
    timeout: 150_000,
  });
  // Nothing was asked of the graph model under the old model's layer names.
  await expect(page.locator('section.band[data-layer="conv_pw_3_bn"]')).toHaveCount(0);
  const alerts = await page.getByRole('alert').allTextContents();
  expect(alerts.join('\n')).not.toMatch(/unknown layer|Render failed/);
});

test('switching model while a click runs and the renders it outranked wait: the new model renders, nothing is left waiting', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=512&size=64');
  await expect(page.locator('section.band .card[data-status="running"][data-updates="1"]').first()).toBeVisible({
    timeout: 120_000,
  });
  const { waiting } = await clickUntilOneWaits(page);
  expect(waiting.status).toBe('running');
  await page.getByLabel('model').selectOption(GRAPH);
  await expect(page.getByLabel('model')).toHaveValue(GRAPH);
  // The new model's renders stream (their first snapshots; at 512 steps a whole one takes long on the graph model).
  await expect(
    page.locator('section.band[data-layer^="module_apply_default"] .card:not([data-updates="0"])').first(),
  ).toBeVisible({ timeout: 150_000 });
  await expect(page.locator('.card[data-waiting="yes"]')).toHaveCount(0);
  const alerts = await page.getByRole('alert').allTextContents();
  expect(alerts.join('\n')).not.toMatch(/unknown layer|Render failed|disposed/i);
  expect(errors).toEqual([]);
  // Back to the first model: its gallery renders again.
  await page.getByLabel('model').selectOption('mobilenet_v1_0.25_224');
  await expect(
    page
      .locator(
        'section.band[data-layer="conv1_bn"] .card[data-status="running"], section.band[data-layer="conv1_bn"] .card[data-status="done"]',
      )
      .first(),
  ).toBeVisible({
    timeout: 120_000,
  });
});

test('with background rendering on, a model picked again before the other one loaded gets its background renders back', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=160&size=64&hooks');
  const unfinished = (layer: string) =>
    page.evaluate(
      (l) =>
        [
          ...(
            window as unknown as { __featurescope: { cards: Map<string, { status: string; layer: string }> } }
          ).__featurescope.cards.values(),
        ].filter((c) => c.layer === l && (c.status === 'queued' || c.status === 'running')).length,
      layer,
    );
  // The deepest band is far below the screen: only the background asks for it.
  await expect.poll(() => unfinished('conv_pw_13_bn'), { timeout: 60_000 }).toBeGreaterThan(0);
  await page.getByLabel('model').selectOption('mobilenet_v1_0.75_224');
  await page.getByLabel('model').selectOption('mobilenet_v1_0.25_224');
  await expect(page.getByLabel('model')).toHaveValue('mobilenet_v1_0.25_224');
  // The switch cancelled every render; the model on screen asks for its background work again (it was left with the
  // bands on screen only, the deeper layers never rendered).
  await expect.poll(() => unfinished('conv_pw_13_bn'), { timeout: 60_000 }).toBeGreaterThan(0);
});

test('with background rendering on, a new size drops the queue of the old one and the bands on screen render at the new', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=64&size=96&hooks');
  const first = card(page, 'conv1_bn', 0);
  await expect(first).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  // A person's click under the old size (still rendering when the size changes): it stays when the gallery's own work
  // goes — nothing else asks for channel 5 of that band.
  await card(page, 'conv_dw_2_bn', 5).click();
  await page.getByLabel('render size').selectOption('64');
  const unfinished = () =>
    page.evaluate(() =>
      [
        ...(
          window as unknown as {
            __featurescope: {
              cards: Map<string, { status: string; layer: string; channel: number; settings: { size: number } }>;
            };
          }
        ).__featurescope.cards.values(),
      ]
        .filter((c) => c.status === 'queued' || c.status === 'running')
        .map((c) => `${c.layer}/${c.channel}@${c.settings.size}`),
    );
  // The gallery asks again under 64 px (background and on screen), and nothing of its own is left under 96 px.
  await expect.poll(async () => (await unfinished()).filter((k) => k.endsWith('@64')).length).toBeGreaterThan(4);
  expect((await unfinished()).filter((k) => k.endsWith('@96'))).toEqual(
    (await unfinished()).includes('conv_dw_2_bn/5@96') ? ['conv_dw_2_bn/5@96'] : [],
  );
  // The first band's card renders again at 64 px by itself: current, not marked "other settings".
  await expect(first).toHaveAttribute('data-other', 'no');
  await expect(first).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  expect(await first.locator('canvas').evaluate((c) => (c as HTMLCanvasElement).width)).toBe(64);
  // The clicked render under 96 px finished too: back at 96 px its card is done without asking again.
  await page.getByLabel('render size').selectOption('96');
  await expect(card(page, 'conv_dw_2_bn', 5)).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const alerts = await page.getByRole('alert').allTextContents();
  expect(alerts.join('\n')).not.toMatch(/Render failed/);
});

test('with background rendering on, clearing the cache renders again what the gallery shows', async ({ page }) => {
  test.setTimeout(240_000);
  // One image rendered and cached (background rendering off for this, so that the count below is that image's).
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=32&size=64&auto=0');
  const first = card(page, 'conv1_bn', 0);
  await first.click();
  await expect(first).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(page.getByText('1 cached')).toBeVisible();
  // With background rendering on, the gallery's image comes from the cache; clearing it takes it away.
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=32&size=64');
  await expect(first).toHaveAttribute('data-cached', 'yes', { timeout: 60_000 });
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'clear cache' }).click();
  await expect(page.getByText('Cache cleared.')).toBeVisible();
  // The bands on screen ask again, as on opening the page: the first card renders anew and is cached again.
  await expect(first).toHaveAttribute('data-cached', 'no');
  await expect(first).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(page.getByText(/^[1-9]\d* cached$/)).toBeVisible();
});

/** Opens α0.25 with background rendering on and pauses the queue once a render is running. */
async function pauseWhileRendering(page: Page) {
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=160&size=64');
  await expect(page.locator('section.band .card[data-status="running"]').first()).toBeVisible({ timeout: 120_000 });
  await page.getByRole('button', { name: 'pause' }).click();
  await expect(page.getByTestId('queue-counts')).toContainText('paused · ');
}

test('with background rendering on, a paused queue stays paused when the backend changes, until resumed', async ({ page }) => {
  test.setTimeout(240_000);
  await pauseWhileRendering(page);
  // A backend switch starts a fresh worker: it takes over the unfinished renders, and the pause with them.
  await page.getByLabel('backend').selectOption('wasm');
  await expect(page.getByTestId('backend').locator('strong')).toHaveText('wasm', { timeout: 60_000 });
  const done = page.locator('section.band .card[data-status="done"]');
  const before = await done.count();
  await page.waitForTimeout(8_000);
  await expect(page.getByTestId('queue-counts')).toContainText('paused · ');
  await expect(page.getByRole('button', { name: 'resume' })).toBeVisible();
  await expect(page.locator('section.band .card[data-status="running"]')).toHaveCount(0);
  expect(await done.count()).toBe(before);
  // A render asked for meanwhile waits with the rest, and its card says why.
  const asked = card(page, 'conv_pw_3_bn', 9);
  await asked.click();
  await expect(asked).toHaveAttribute('data-status', 'queued');
  await expect(asked).toContainText('paused');
  await page.getByRole('button', { name: 'resume' }).click();
  await expect(asked).not.toContainText('paused');
  await expect(page.locator('section.band .card[data-status="done"]').nth(before)).toBeVisible({ timeout: 120_000 });
});

test('a paused tab stays paused across its reload, the render asked for waiting; resume renders it', async ({ page }) => {
  test.setTimeout(240_000);
  await pauseWhileRendering(page);
  const asked = card(page, 'conv_pw_3_bn', 9);
  await asked.click();
  await expect(asked).toContainText('paused');
  await page.reload();
  await expect(band(page, 'conv_pw_3_bn')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('queue-counts')).toContainText('paused · ', { timeout: 30_000 });
  await expect(page.getByRole('button', { name: 'resume' })).toBeVisible();
  // The render asked for before the reload is queued again, and waits with the gallery's.
  await expect(asked).toHaveAttribute('data-status', 'queued', { timeout: 30_000 });
  await expect(asked).toContainText('paused');
  await page.waitForTimeout(5_000);
  await expect(page.locator('section.band .card[data-status="running"]')).toHaveCount(0);
  await page.getByRole('button', { name: 'resume' }).click();
  await expect(asked).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  // Resumed, the tab's next reload runs.
  await page.reload();
  await expect(page.locator('section.band .card[data-status="running"]').first()).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('queue-counts')).not.toContainText('paused');
});

test('changing the backend while a model loads still ends on that model, not on "loading…"', async ({ page }) => {
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=32&size=64&auto=0');
  await expect(band(page, 'conv_pw_3_bn')).toBeVisible({ timeout: 60_000 });
  await page.getByLabel('model').selectOption(GRAPH);
  await page.getByLabel('backend').selectOption('wasm');
  await expect(page.locator('section.band[data-layer^="module_apply_default"]').first()).toBeVisible({ timeout: 90_000 });
  await expect(page.getByText(/^loading /)).toHaveCount(0);
  await expect(page.getByLabel('model')).toHaveValue(GRAPH);
  const first = page.locator('section.band[data-layer^="module_apply_default"]').first();
  await first.locator('.card[data-channel="1"]').click();
  await expect(first.locator('.card[data-channel="1"]')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
});

test('a worker stuck in a long call is replaced when cancel goes unanswered, and the studio keeps working', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=512&size=64&auto=0&hooks');
  const c = card(page, 'conv_pw_2_bn', 3);
  await c.click();
  await expect(c).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  // Blocks the worker's thread for two minutes, as a stuck GPU call would.
  await hooks(page, 'hangWorker', 120_000);
  const asked = Date.now();
  await page.getByRole('button', { name: 'cancel all' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'stopped answering' })).toBeVisible({ timeout: 30_000 });
  expect(Date.now() - asked).toBeLessThan(20_000);
  await expect(c).toHaveAttribute('data-status', 'empty');
  // The fresh worker renders (at 64 steps: the 512 above only kept the first render busy until the hang).
  await page.getByLabel('steps').selectOption('64');
  await card(page, 'conv_pw_2_bn', 5).click();
  await expect(card(page, 'conv_pw_2_bn', 5)).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
});

test('a worker stuck while it renders is replaced though nobody presses cancel, and the render runs again', async ({ page }) => {
  // Asked every 0.3 s while it renders, stuck after 3 s without an answer (the studio's own: 10 s and 30 s).
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=1024&size=128&auto=0&hooks&ping=300&stuck=3000');
  const c = card(page, 'conv_pw_2_bn', 3);
  await c.click();
  await expect(c).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  // Rendering normally, the worker answers between its steps: nothing is replaced.
  await page.waitForTimeout(1500);
  await expect(page.getByRole('alert').filter({ hasText: 'stopped answering' })).toHaveCount(0);
  await expect(c).toHaveAttribute('data-status', 'running');
  await hooks(page, 'hangWorker', 120_000);
  await expect(page.getByRole('alert').filter({ hasText: 'did not answer for 3 s while rendering' })).toBeVisible({
    timeout: 20_000,
  });
  // The fresh worker renders the card again, from its first step.
  await expect(c).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
});

test('a shared link with steps=2e11 and size=1e9 is refused with a message, and renders use the defaults', async ({ page }) => {
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=2e11&size=1000000000&auto=0');
  await expect(page.getByRole('alert').filter({ hasText: 'steps=2e11 ignored' })).toBeVisible();
  await expect(page.getByRole('alert').filter({ hasText: 'size=1000000000 ignored' })).toBeVisible();
  await page.getByLabel('settings for new renders').locator('label', { hasText: 'steps' }).locator('select').selectOption('64');
  const c = card(page, 'conv_pw_3_bn', 1);
  await c.click();
  await expect(c).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
});

test('a software WebGL is offered with a warning, and switching back to wasm mid-render takes effect at once', async ({
  page,
}) => {
  test.setTimeout(300_000);
  // 128 steps: SwiftShader WebGL spends about 11 s compiling before its first snapshot, so the switch is mid-render.
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=128&size=64&auto=0');
  await expect(page.getByTestId('threads')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByLabel('backend').locator('option[value="webgl"]')).toHaveText('webgl (software GPU: slow)');
  const selectWidth = () => page.getByLabel('backend').evaluate((s) => s.getBoundingClientRect().width);
  const autoWidth = await selectWidth();
  await page.getByLabel('backend').selectOption('webgl');
  await expect(page.getByTestId('software-gpu')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByLabel('backend').locator('option[value="webgpu"]')).toHaveText('webgpu (software GPU: slow)');
  const c = card(page, 'conv_pw_3_bn', 2);
  await c.click();
  await expect(c).toHaveAttribute('data-status', 'running', { timeout: 120_000 });
  await expect(page.getByTestId('software-gpu')).toContainText(/GPU, \d+ ms\/step — wasm is faster/);
  // The warning with its figure and the menu stay inside the page's width (the menu once ran past the header's edge).
  const menu = await page.getByLabel('backend').boundingBox();
  expect(menu!.x + menu!.width).toBeLessThanOrEqual(page.viewportSize()!.width);
  const asked = Date.now();
  await page.getByLabel('backend').selectOption('wasm');
  await expect(page.getByTestId('threads')).toBeVisible({ timeout: 30_000 });
  expect(Date.now() - asked).toBeLessThan(30_000);
  await expect(page.getByTestId('software-gpu')).toHaveCount(0);
  // The choice is as wide as "wasm" (like "auto" was), not as its longest option: the renderer's name keeps its room.
  expect(await selectWidth()).toBeLessThan(autoWidth + 12);
  await expect(c).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
  await expect(c).toHaveAttribute('data-backend', 'wasm');
});

test('a slow failure of one model after another was picked neither brings it back nor stops the new one (item 3)', async ({
  page,
}) => {
  let failed!: () => void;
  const failure = new Promise<void>((ok) => (failed = ok));
  await page.route(`**/models/${GRAPH}/model.json`, async (r) => {
    await new Promise((ok) => setTimeout(ok, 3000));
    await r.fulfill({ status: 404, body: 'gone' });
    failed();
  });
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=64&size=64&auto=0');
  await expect(band(page, 'conv_pw_3_bn')).toBeVisible({ timeout: 60_000 });
  await page.getByLabel('model').selectOption(GRAPH);
  await page.getByLabel('model').selectOption('mobilenet_v1_0.75_224');
  await expect(band(page, 'conv1_bn')).toContainText('24 channels', { timeout: 90_000 });
  // The old model's failure has reached the worker, and its answer the page.
  await failure;
  await page.waitForTimeout(500);
  await expect(page.getByLabel('model')).toHaveValue('mobilenet_v1_0.75_224');
  await expect(page.getByText(/Still on/)).toHaveCount(0);
  const c = card(page, 'conv_pw_3_bn', 1);
  await c.click();
  await expect(c).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
});

test('a worker that crashes while a model loads is replaced and the load completes (item 4)', async ({ page }) => {
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=64&size=64&auto=0&hooks');
  await expect(band(page, 'conv_pw_3_bn')).toBeVisible({ timeout: 60_000 });
  let held = 0;
  await page.route(`**/models/mobilenet_v1_0.75_224/model.json`, async (r) => {
    // The first request waits long enough for the crash to land mid-load.
    if (held++ === 0) await new Promise((ok) => setTimeout(ok, 3000));
    await r.continue();
  });
  await page.getByLabel('model').selectOption('mobilenet_v1_0.75_224');
  await page.waitForTimeout(500);
  await hooks(page, 'crashWorker');
  await expect(page.getByRole('alert').filter({ hasText: 'Worker crashed' })).toBeVisible();
  await expect(band(page, 'conv1_bn')).toContainText('24 channels', { timeout: 90_000 });
  await expect(page.getByText(/^loading /)).toHaveCount(0);
  const c = card(page, 'conv_pw_3_bn', 2);
  await c.click();
  await expect(c).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
});

test('a model that loads but cannot be kept (a taken name) is refused and leaves no tensors in the worker (item 14)', async ({
  page,
}) => {
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=64&size=64&auto=0&hooks');
  await expect(band(page, 'conv_pw_3_bn')).toBeVisible({ timeout: 60_000 });
  const open = (url: string) =>
    page.evaluate(
      (u) =>
        (
          window as unknown as { __featurescope: { openUserModel(s: unknown, n: string, m: unknown): void } }
        ).__featurescope.openUserModel({ kind: 'url', url: u }, 'taken', { inputRange: [-1, 1] }),
      url,
    );
  const tensors = () =>
    page.evaluate(() =>
      (
        window as unknown as { __featurescope: { testHooks: { workerTensors(): Promise<number> } } }
      ).__featurescope.testHooks.workerTensors(),
    );
  await open('/models/mobilenet_v1_0.25_224/model.json');
  await expect(page.getByLabel('model')).toHaveValue('user:taken');
  const before = await tensors();
  // Past the dialog's own check: the worker loads the other model, cannot keep it under that name, and lets it go.
  await open(`/models/${GRAPH}/model.json`);
  await expect(page.getByRole('alert').filter({ hasText: 'a different model named "taken" is already kept' })).toBeVisible({
    timeout: 60_000,
  });
  await expect(page.getByLabel('model')).toHaveValue('user:taken');
  expect(await tensors()).toBe(before);
});

test('a reload opens the model and settings on screen, not those the page was first opened with', async ({ page }) => {
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=64&size=64&auto=0');
  await expect(band(page, 'conv1_bn')).toBeVisible({ timeout: 60_000 });
  await page.getByLabel('model').selectOption('mobilenet_v1_0.75_224');
  await expect(band(page, 'conv_pw_13_bn')).toContainText('768 channels', { timeout: 60_000 });
  await page.getByLabel('render size').selectOption('96');
  await expect.poll(() => new URL(page.url()).searchParams.get('size')).toBe('96');
  // The gallery showing every layer (the ReLUs too) stays so across the reload.
  await expect(band(page, 'conv1_relu')).toHaveCount(0);
  await page.getByLabel('all layers').check();
  await expect(band(page, 'conv1_relu')).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('model')).toHaveValue('mobilenet_v1_0.75_224');
  await expect(page.getByLabel('render size')).toHaveValue('96');
  await expect(band(page, 'conv_pw_13_bn')).toContainText('768 channels', { timeout: 60_000 });
  await expect(page.getByLabel('all layers')).toBeChecked();
  await expect(band(page, 'conv1_relu')).toBeVisible();
  expect(new URL(page.url()).searchParams.get('steps')).toBe('64');
});

test('a reload right after picking another model opens that model, though it had not finished loading', async ({ page }) => {
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=64&size=64&auto=0');
  await expect(band(page, 'conv1_bn')).toBeVisible({ timeout: 60_000 });
  await page.getByLabel('model').selectOption('mobilenet_v1_0.75_224');
  // α0.75 takes seconds to load here: the reload comes while it does.
  await expect(page.getByText(/^loading /)).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('model')).toHaveValue('mobilenet_v1_0.75_224');
  await expect(band(page, 'conv_pw_13_bn')).toContainText('768 channels', { timeout: 60_000 });
  expect(new URL(page.url()).searchParams.get('model')).toBe('mobilenet_v1_0.75_224');
});

test('a reload keeps the backend picked in the header, whether or not the address named one', async ({ page }) => {
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=64&size=64&auto=0&backend=cpu');
  await expect(page.getByTestId('backend').locator('strong')).toHaveText('cpu', { timeout: 60_000 });
  await page.getByLabel('backend').selectOption('wasm');
  await expect(page.getByTestId('threads')).toBeVisible({ timeout: 60_000 });
  await expect.poll(() => new URL(page.url()).searchParams.get('backend')).toBe('wasm');
  await page.reload();
  await expect(page.getByLabel('backend')).toHaveValue('wasm');
  await expect(page.getByTestId('backend').locator('strong')).toHaveText('wasm', { timeout: 60_000 });
  // An address without backend= opens on the choice this browser remembers; auto again forgets it.
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=64&size=64&auto=0');
  await expect(page.getByLabel('backend')).toHaveValue('wasm');
  await page.getByLabel('backend').selectOption('cpu');
  await expect(page.getByTestId('backend').locator('strong')).toHaveText('cpu', { timeout: 60_000 });
  expect(new URL(page.url()).searchParams.has('backend')).toBe(false);
  await page.reload();
  await expect(page.getByTestId('backend').locator('strong')).toHaveText('cpu', { timeout: 60_000 });
  await page.getByLabel('backend').selectOption('auto');
  await expect(page.getByTestId('threads')).toBeVisible({ timeout: 60_000 });
  await page.reload();
  await expect(page.getByLabel('backend')).toHaveValue('auto');
});

test('an address naming a kept model since deleted, or a model no registry has, opens the default model and says why', async ({
  page,
}) => {
  // What a reload shows after the model on screen was deleted from the open dialog (the address still names it).
  await page.goto('/?model=user:gone&steps=64&size=64&auto=0');
  await expect(page.getByRole('alert').filter({ hasText: 'no model named gone is kept in this browser' }).first()).toBeVisible({
    timeout: 60_000,
  });
  await expect(page.getByText('Opening mobilenet_v1_0.75_224 instead.').first()).toBeVisible();
  await expect(page.getByLabel('model', { exact: true })).toHaveValue('mobilenet_v1_0.75_224', { timeout: 60_000 });
  await expect(band(page, 'conv_pw_3_bn')).toBeVisible({ timeout: 60_000 });
  // An id that no registry has is the same.
  await page.goto('/?model=resnet_9000&steps=64&size=64&auto=0');
  await expect(page.getByRole('alert').filter({ hasText: 'unknown model resnet_9000' }).first()).toBeVisible();
  await expect(band(page, 'conv_pw_3_bn')).toBeVisible({ timeout: 60_000 });
});
