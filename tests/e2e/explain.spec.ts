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
});
