// Issue 11: the photo lab — a convolution playground with Sobel next to the model's first layer, and adversarial
// examples — computed in the worker on a real photo, with real numbers checked.
import { expect, test } from '@playwright/test';
import { unzipSync } from 'fflate';
import { decode } from 'fast-png';
import { readFileSync } from 'node:fs';

const SMALL = '/?model=mobilenet_v1_0.25_224&steps=64&size=64&auto=0';

test.beforeEach(async ({ page }) => {
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto(SMALL);
  await page.locator('section.band[data-layer="conv1_bn"]').waitFor();
});

test('the convolution playground: Sobel on a photo, the output size for the stride, the multiply-and-sum, the first layer', async ({
  page,
}) => {
  // Reached from a band's inspector, as a person exploring conv1 would.
  const conv1 = page.locator('section.band[data-layer="conv1_bn"]');
  await conv1.getByRole('button', { name: 'how it works' }).click();
  await conv1.getByRole('button', { name: 'try a 3×3 convolution on a photo' }).click();
  const size = page.getByTestId('conv-size');
  await expect(size).toContainText('output 224×224: ⌊(224 + 1 + 1 − 3) / 1⌋ + 1 = 224');
  await page.getByLabel('photo lab').locator('label', { hasText: 'stride' }).locator('select').selectOption('2');
  await expect(size).toContainText('output 112×112: ⌊(224 + 0 + 1 − 3) / 2⌋ + 1 = 112');
  // The spelled-out sum is the worker's own output value at that position.
  const zoom = page.getByTestId('conv-zoom');
  await page
    .getByLabel('photo lab')
    .locator('canvas')
    .first()
    .click({ position: { x: 100, y: 100 } });
  const text = await zoom.innerText();
  const [, sum, out] = text.match(/sum = (-?[\d.]+) \(the worker's output: (-?[\d.]+)\)/)!;
  expect(Math.abs(Number(sum) - Number(out))).toBeLessThan(0.002);
  // Stepping the kernel one output to the right moves the spelled-out position by one.
  const before = (await zoom.innerText()).match(/at output \((\d+), (\d+)\)/)!;
  await zoom.getByRole('button', { name: 'right' }).click();
  await expect(zoom).toContainText(`at output (${before[1]}, ${Number(before[2]) + 1})`);
  // An edited weight changes the result: the identity kernel gives the pixel itself.
  await page.getByLabel('photo lab').locator('label', { hasText: 'kernel' }).locator('select').selectOption('identity');
  await expect(zoom).toContainText('× 1.00');
  await expect(page.getByTestId('conv-maps').locator('canvas')).toHaveCount(8);
  await expect(page.getByLabel('photo lab')).toContainText('the first layer of the model, conv1');
});

test('adversarial examples: PGD at ε 4 changes the top class; the exported pair opens and stays within ε', async ({ page }) => {
  await page.getByRole('button', { name: 'fool it' }).click();
  await page.getByRole('button', { name: 'airplane' }).click();
  await page.getByRole('button', { name: 'make adversarial' }).click();
  await expect(page.getByTestId('attack-summary')).toContainText('the network changed its mind', { timeout: 120_000 });
  const top = async (name: string) =>
    (await page.getByTestId(`top-${name}`).locator('tbody tr').first().innerText()).split('\t')[0];
  expect(await top('before')).not.toBe(await top('after'));
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'export pair (ZIP)' }).click();
  const zip = unzipSync(readFileSync(await (await download).path()));
  expect(Object.keys(zip).sort()).toEqual(['adversarial.png', 'original.png', 'result.json']);
  const [o, a] = [decode(zip['original.png']), decode(zip['adversarial.png'])];
  expect([o.width, o.height, a.width, a.channels]).toEqual([224, 224, 224, 3]);
  let linf = 0;
  for (let i = 0; i < o.data.length; i++) linf = Math.max(linf, Math.abs(Number(a.data[i]) - Number(o.data[i])));
  expect(linf).toBeGreaterThan(0);
  expect(linf).toBeLessThanOrEqual(4);
  const result = JSON.parse(new TextDecoder().decode(zip['result.json']));
  expect(result).toMatchObject({ model: 'mobilenet_v1_0.25_224', photo: 'airplane', epsilon: 4, success: true, linf });
  // Another model on screen and another ε in the controls: the example on show says which model made it, and its
  // export keeps what it was made with.
  await page.keyboard.press('Escape');
  await page.getByLabel('model').selectOption('mobilenet_v1_0.25_224_tfhub_graph');
  await expect(page.locator('section.band').first()).toBeVisible();
  await page.getByRole('button', { name: 'photo lab' }).click();
  await page.getByRole('button', { name: 'adversarial examples' }).click();
  await expect(page.getByTestId('attack-other-model')).toContainText(
    'Made on mobilenet_v1_0.25_224; the model on screen is mobilenet_v1_0.25_224_tfhub_graph',
  );
  await page.getByLabel('epsilon value').fill('8');
  const again = page.waitForEvent('download');
  await page.getByRole('button', { name: 'export pair (ZIP)' }).click();
  const second = unzipSync(readFileSync(await (await again).path()));
  expect(JSON.parse(new TextDecoder().decode(second['result.json']))).toMatchObject({
    model: 'mobilenet_v1_0.25_224',
    epsilon: 4,
  });
});

test('an attack runs on while a person looks at the other tabs: its result is there on coming back', async ({ page }) => {
  await page.getByRole('button', { name: 'fool it' }).click();
  await page.getByRole('button', { name: 'airplane' }).click();
  await page.getByRole('button', { name: 'make adversarial' }).click();
  // The convolution and receptive-field tabs ask the worker for their own work while the attack computes (at once:
  // not waiting on "computing…", which a quick attack may already have left — the unit test pins the order down).
  await page.getByRole('button', { name: 'convolution', exact: true }).click();
  await expect(page.getByTestId('conv-size')).toBeVisible();
  await page.getByRole('button', { name: 'receptive field' }).click();
  await page.getByRole('button', { name: 'adversarial examples' }).click();
  await expect(page.getByTestId('attack-summary')).toContainText('the network changed its mind', { timeout: 120_000 });
  await expect(page.getByRole('button', { name: 'make adversarial' })).toBeEnabled();
  // And the other way round: the playground's picture is there while an attack computes.
  await page.getByRole('button', { name: 'make adversarial' }).click();
  await page.getByRole('button', { name: 'convolution', exact: true }).click();
  await expect(page.getByTestId('conv-zoom')).toBeVisible({ timeout: 60_000 });
  await expect(page.locator('p.err')).toHaveCount(0);
});

test("what layers keep: a shallow layer's inversion looks like the photo; an inversion can be stopped", async ({ page }) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Opened while the model loads, as a quick person might: the layers arrive with it.
  await page.goto(SMALL);
  await page.getByRole('button', { name: 'photo lab' }).click();
  await page.getByRole('button', { name: 'what layers keep' }).click();
  await expect(page.getByLabel('layer 1')).toHaveValue('conv_pw_1_bn');
  expect(errors).toEqual([]);
  const lab = page.getByLabel('photo lab');
  // Four layers spread over the depth by default.
  await expect(lab.getByLabel('layer 1')).toHaveValue('conv_pw_1_bn');
  await expect(lab.getByLabel('layer 4')).toHaveValue('conv_pw_11_bn');
  await lab.getByLabel('inversion steps').selectOption('96');
  await lab.getByRole('button', { name: 'invert' }).click();
  const progress = page.getByTestId('inversion-progress');
  await expect(progress).toHaveAttribute('data-done', 'yes', { timeout: 180_000 });
  await expect(progress).toHaveText('cat after 96 steps');
  const figures = page.getByTestId('inversion').locator('figure[data-layer] canvas');
  await expect(figures).toHaveCount(4);
  // The first layer's image against the photo's centre square at the same size: a close likeness, pixel for pixel.
  const r = await page.getByTestId('inversion').evaluate(async (row) => {
    const img = row.querySelector('img.photo') as HTMLImageElement;
    await img.decode();
    const out = row.querySelector('figure[data-layer] canvas') as HTMLCanvasElement;
    const c = document.createElement('canvas');
    [c.width, c.height] = [out.width, out.height];
    const side = Math.min(img.naturalWidth, img.naturalHeight);
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, (img.naturalWidth - side) / 2, (img.naturalHeight - side) / 2, side, side, 0, 0, c.width, c.height);
    const a = ctx.getImageData(0, 0, c.width, c.height).data;
    const b = out.getContext('2d')!.getImageData(0, 0, out.width, out.height).data;
    let [sx, sy, sxx, syy, sxy, n] = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < a.length; i++) {
      if (i % 4 === 3) continue;
      sx += a[i];
      sy += b[i];
      sxx += a[i] * a[i];
      syy += b[i] * b[i];
      sxy += a[i] * b[i];
      n++;
    }
    const cov = sxy / n - (sx / n) * (sy / n);
    return cov / Math.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2));
  });
  expect(r).toBeGreaterThan(0.6);
  // The export: the photo, one PNG per layer with its description, and the manifest (the CLI's files).
  const download = page.waitForEvent('download');
  await lab.getByRole('button', { name: 'export (ZIP)' }).click();
  const zip = unzipSync(readFileSync(await (await download).path()));
  expect(Object.keys(zip).sort()).toEqual(
    ['conv_pw_11_bn.png', 'conv_pw_1_bn.png', 'conv_pw_3_bn.png', 'conv_pw_6_bn.png', 'manifest.json', 'photo.png'].sort(),
  );
  const manifest = JSON.parse(new TextDecoder().decode(zip['manifest.json']));
  expect(manifest).toMatchObject({ model: 'mobilenet_v1_0.25_224', photo: 'cat', step: 96, settings: { size: 128, steps: 96 } });
  expect(manifest.layers[0]).toMatchObject({ layer: 'conv_pw_1_bn', file: 'conv_pw_1_bn.png' });
  const png = decode(zip['conv_pw_1_bn.png']);
  expect([png.width, png.height, decode(zip['photo.png']).width]).toEqual([128, 128, 128]);
  // Another photo picked: the images on show are still the cat's, beside the cat.
  await lab.getByRole('button', { name: 'airplane' }).click();
  await expect(page.getByTestId('inversion').locator('img.photo')).toHaveAttribute('alt', 'cat');
  // Inverted, then stopped part-way: its images so far stay, marked as stopped, and the lab can invert again.
  await lab.getByLabel('inversion steps').selectOption('384');
  await lab.getByRole('button', { name: 'invert' }).click();
  await expect(progress).toContainText(/step \d+ of 384/, { timeout: 120_000 });
  await lab.getByRole('button', { name: 'stop' }).click();
  await expect(progress).toContainText(/^stopped at step \d+$/);
  await expect(figures).toHaveCount(4);
  await expect(lab.getByRole('button', { name: 'invert' })).toBeEnabled();
  await expect(lab.locator('p.err')).toHaveCount(0);
  // Another model opened mid-inversion stops it there, and says so; what it made is marked as made on the other model.
  await lab.getByRole('button', { name: 'invert' }).click();
  await expect(progress).toContainText(/step \d+ of 384/, { timeout: 120_000 });
  await page.keyboard.press('Escape');
  await page.getByLabel('model').selectOption('mobilenet_v1_0.25_224_tfhub_graph');
  await expect(page.locator('section.band').first()).toBeVisible();
  await page.getByRole('button', { name: 'photo lab' }).click();
  await page.getByRole('button', { name: 'what layers keep' }).click();
  await expect(progress).toContainText(/^stopped at step \d+: another model was opened$/);
  await expect(lab.locator('p.err')).toHaveCount(0);
  await expect(lab.getByRole('status')).toContainText('Made on mobilenet_v1_0.25_224');
  // The new model's own layers are offered, by their short names.
  await expect(lab.getByLabel('layer 1').locator('option:checked')).toHaveText('Conv2d_1_pointwise');
});

test("receptive field on a photo: a clicked unit's region is outlined with the band's numbers", async ({ page }) => {
  await expect(page.locator('section.band[data-layer="conv_pw_6_bn"]')).toContainText('receptive field 59px');
  await page.getByRole('button', { name: 'photo lab' }).click();
  await page.getByRole('button', { name: 'receptive field' }).click();
  const lab = page.getByLabel('photo lab');
  await expect(lab.locator('label', { hasText: 'layer' }).locator('select')).toHaveValue('conv_pw_6_bn');
  const photo = lab.locator('canvas').first();
  await expect(photo).toBeVisible();
  // The photo is drawn at 448 px for 224: pixel (111, 111) is unit (6, 6), centred on 15 + 6·16 = 111.
  await photo.click({ position: { x: 223, y: 223 } });
  await expect(page.getByTestId('rf-seen')).toHaveText(
    'unit (6, 6) of 14×14 is centred on pixel (111, 111) and sees rows 82–140, columns 82–140 of the 224 px photo: a 59 px field.',
  );
  await photo.click({ position: { x: 3, y: 3 } });
  await expect(page.getByTestId('rf-seen')).toContainText('unit (0, 0) of 14×14 is centred on pixel (15, 15) and sees rows 0–44');
  await expect(page.getByTestId('rf-seen')).toContainText('cut by the photo’s edge');
});
