// Issue 11: the studio explains what it shows — one sentence on the images, the depth story in the layer list, and a
// band's "how it works" panel with its operation's numbers (MobileNet v1 α0.25, checked against hand-computed values).
import { expect, test, type Page } from '@playwright/test';

const SMALL = '/?model=mobilenet_v1_0.25_224&steps=64&size=64&auto=0';
const band = (page: Page, layer: string) => page.locator(`section.band[data-layer="${layer}"]`);

test('the gallery says what each image is, and the layer list carries the depth story in order', async ({ page }) => {
  await page.goto(SMALL);
  await expect(page.getByTestId('intro')).toContainText('one channel of one layer fires as strongly as possible');
  await expect(page.getByTestId('nav-stage')).toHaveCount(5);
  const stages = await page.getByTestId('nav-stage').allInnerTexts();
  expect(stages.map((s) => s.split('·')[0].trim().toLowerCase())).toEqual([
    'colours and edges',
    'textures',
    'patterns',
    'parts',
    'objects',
  ]);
  await expect(band(page, 'conv_pw_1_bn').getByTestId('band-stage')).toHaveText('colours and edges');
  await expect(band(page, 'conv_pw_13_bn').getByTestId('band-stage')).toHaveText('objects');
});

test("a band's inspector shows its operation's numbers: window, padding, output size, weights, separable vs full", async ({
  page,
}) => {
  await page.goto(SMALL);
  const pw6 = band(page, 'conv_pw_6_bn');
  await pw6.getByRole('button', { name: 'how it works' }).click();
  const insp = pw6.getByTestId('inspector');
  await expect(insp).toContainText('conv_pw_6');
  await expect(insp.getByTestId('insp-kernel')).toHaveText('1×1, stride 1');
  await expect(insp.getByTestId('insp-shapes')).toHaveText('14×14×64 → 14×14×128');
  await expect(insp.getByTestId('insp-weights')).toContainText('8,192');
  await expect(insp.getByTestId('insp-formula')).toContainText('⌊(14 + 0 + 0 − 1) / 1⌋ + 1 = 14');
  // Depthwise 3×3 over 64 channels (576) + pointwise 64 → 128 (8,192) against 3·3·64·128 = 73,728.
  await expect(insp.getByTestId('insp-separable')).toContainText('576 + 8,192 = 8,768 weights');
  await expect(insp.getByTestId('insp-separable')).toContainText('73,728 weights');
  await pw6.getByRole('button', { name: 'how it works' }).click();
  await expect(insp).toHaveCount(0);

  const conv1 = band(page, 'conv1_bn');
  await conv1.getByRole('button', { name: 'how it works' }).click();
  await expect(conv1.getByTestId('insp-padding')).toHaveText(/'same': top 0, bottom 1, left 0, right 1 px/);
  await expect(conv1.getByTestId('insp-formula')).toContainText('⌊(224 + 0 + 1 − 3) / 2⌋ + 1 = 112');
  await expect(conv1.getByTestId('insp-weights')).toContainText('216 (8 filters × 3×3 × 3 channels)');
  await expect(conv1.getByTestId('insp-dense')).toHaveText(/needs 1\.5 × 10¹⁰ weights: 7\.0 × 10⁷×\s+as\s+many/);
  // The class scores: a 1×1 convolution on a 1×1 map is a dense layer, not "1× as many".
  const preds = band(page, 'conv_preds');
  await preds.getByRole('button', { name: 'how it works' }).click();
  await expect(preds.getByTestId('insp-dense')).toHaveText(
    /256,000 weights, the same number: on a 1×1 map there is no position to share weights\s+across/,
  );
});

test("a rendered channel's detail view shows its weights: a first-layer filter as 3 kernels and a colour patch, a depthwise kernel", async ({
  page,
}) => {
  test.setTimeout(240_000);
  await page.goto(SMALL);
  const open = async (layer: string, ch: number) => {
    const c = band(page, layer).locator(`.card[data-channel="${ch}"]`);
    await c.click();
    await expect(c).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
    await c.click();
    return page.getByTestId('kernel-view');
  };
  const filter = await open('conv1_bn', 2);
  await expect(filter).toContainText('filter 2: 3 kernels + bias');
  await expect(filter.locator('.cell')).toHaveCount(4 * 9); // R, G, B and the colour patch
  // The numbers are the model's own: conv1's kernel [0, 0, 0, 2] as tfjs-layers reads it from the same files.
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const { loadLayersReference } = await import('../../src/lib/node/files.ts');
  const ref = await loadLayersReference('models/cache/mobilenet_v1_0.25_224');
  const k = ref.getLayer('conv1').getWeights()[0].dataSync();
  const first = Number(await filter.locator('.cell').first().getAttribute('data-value'));
  expect(first).toBeCloseTo(k[2], 5); // [y 0, x 0, red, filter 2] of a [3, 3, 3, 8] kernel
  await page.getByLabel('channel detail').getByRole('button', { name: 'close' }).click();
  const dw = await open('conv_dw_1_bn', 0);
  await expect(dw).toContainText('kernel of channel 0');
  await expect(dw.locator('.cell')).toHaveCount(9);
  const dk = ref.getLayer('conv_dw_1').getWeights()[0].dataSync();
  const values = await dw.locator('.cell').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-value'))));
  expect(values[4]).toBeCloseTo(dk[4 * 8 + 0], 5); // the centre weight of channel 0 (8 channels)
  ref.dispose();
  // A depthwise channel whose weights are mostly negative says why its picture is featureless (depthwise-note.ts);
  // its neighbour, mostly positive, does not.
  await page.getByLabel('channel detail').getByRole('button', { name: 'close' }).click();
  await open('conv_dw_4_bn', 0);
  await expect(page.getByTestId('depthwise-note')).toContainText('mostly negative');
  // The card says it too, in its tooltip.
  const dw0 = band(page, 'conv_dw_4_bn').locator('.card[data-channel="0"]');
  await expect(dw0).toHaveAttribute('data-note', 'yes');
  await expect(dw0).toHaveAttribute('title', /objective -?[\d.]+ — Its 3×3 weights are mostly negative/);
  await expect(page.getByTestId('depthwise-note')).toContainText('input channel 0 is silent');
  await page.getByLabel('channel detail').getByRole('button', { name: 'close' }).click();
  await open('conv_dw_4_bn', 1);
  await expect(page.getByTestId('kernel-view')).toContainText('kernel of channel 1');
  await expect(page.getByTestId('depthwise-note')).toHaveCount(0);
  await expect(band(page, 'conv_dw_4_bn').locator('.card[data-channel="1"]')).toHaveAttribute('data-note', 'no');
});
