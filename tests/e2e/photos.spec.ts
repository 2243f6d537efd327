// Issue 12: your photos — a photo set kept in the browser, one photo explained (top classes, the channels it drives
// most and where), a channel picked from it and rendered, its dataset examples and truth number in the detail view,
// an examples row in the band, the examples in the layer ZIP; adding is batched, cancellable and kept over a reload.
import { expect, test, type Page } from '@playwright/test';
import { decode } from 'fast-png';
import { unzipSync } from 'fflate';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SMALL = '/?model=mobilenet_v1_0.25_224&steps=48&size=64&auto=0&hooks';
const SHARED = join(process.cwd(), '..', 'shared', 'images');

type Hooks = { __featurescope: { testHooks: { workerTensors(): Promise<number> } } };
const workerTensors = (page: Page) => page.evaluate(() => (window as unknown as Hooks).__featurescope.testHooks.workerTensors());

async function openPhotos(page: Page) {
  await page.goto(SMALL);
  await page.locator('section.band[data-layer="conv1_bn"]').waitFor();
  await page.getByRole('button', { name: 'your photos' }).click();
  const panel = page.getByLabel('your photos');
  // The sample photos are in the set from the start.
  await expect(panel.getByRole('button', { name: /^explain / })).toHaveCount(3);
  return panel;
}

test.beforeEach(async ({ page }) => {
  page.on('pageerror', (e) => console.log('page error:', e.message));
});

test('a folder of photos; a photo explained; a channel picked from it, rendered, with its dataset examples and truth number', async ({
  page,
}) => {
  const panel = await openPhotos(page);
  const tensorsBefore = await workerTensors(page);
  // A folder: two photos and a file that is not one.
  const dir = mkdtempSync(join(tmpdir(), 'fs-photo-folder-'));
  mkdirSync(join(dir, 'trip'));
  copyFileSync(join(SHARED, 'airplane.jpg'), join(dir, 'trip', 'big-airplane.jpg'));
  copyFileSync(join(SHARED, 'portrait.jpg'), join(dir, 'trip', 'face.jpg'));
  writeFileSync(join(dir, 'trip', 'notes.txt'), 'not a photo');
  await panel.getByLabel('add a folder').setInputFiles(join(dir, 'trip'));
  await expect(panel.getByRole('alert')).toContainText('Skipped 1: trip/notes.txt (not an image the browser can decode');
  await expect(panel.getByRole('button', { name: /^explain / })).toHaveCount(5);

  // One photo explained: its classes, and per band the channels it drives most, sorted.
  await panel.getByRole('button', { name: 'explain cat.jpg' }).click();
  const explained = panel.getByTestId('explained');
  await expect(explained.getByLabel('top classes')).toContainText(/cat/);
  const row = explained.locator('section[data-layer="conv_pw_3_bn"]');
  await expect(row.locator('button.pick')).toHaveCount(6);
  const values = async () => (await row.locator('.cap').allInnerTexts()).map((t) => Number(t.match(/· (-?[\d.]+)/)![1]));
  const byMax = await values();
  expect(byMax).toEqual([...byMax].sort((a, b) => b - a));
  await explained.getByRole('button', { name: 'mean' }).click();
  const byMean = await values();
  expect(byMean).toEqual([...byMean].sort((a, b) => b - a));
  expect(byMean[0]).toBeLessThan(byMax[0]); // a mean is never above the maximum
  await explained.getByRole('button', { name: 'maximum' }).click();

  // Picking a channel from the photo renders it in its band.
  const tile = row.locator('button.pick').first();
  const channel = Number(await tile.getAttribute('data-channel'));
  await tile.click();
  await expect(tile).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await panel.getByRole('button', { name: 'close' }).click();
  const band = page.locator('section.band[data-layer="conv_pw_3_bn"]');
  const card = band.locator(`.card[data-channel="${channel}"]`);
  await expect(card).toHaveAttribute('data-status', 'done');

  // Its detail view: the top photos of the set for this channel, highest first, and the truth number.
  await card.click();
  const detail = page.getByLabel('channel detail');
  const strip = detail.getByTestId('examples');
  await expect(strip).toHaveAttribute('data-count', '5', { timeout: 120_000 });
  const exValues = await strip.locator('figure').evaluateAll((fs) => fs.map((f) => Number(f.getAttribute('data-value'))));
  expect(exValues).toEqual([...exValues].sort((a, b) => b - a));
  // The cat's example is the cat's maximum as the explained view measured it (two paths, one number).
  const catTitle = await strip.locator('[title^="cat.jpg"]').getAttribute('title');
  expect(Number(catTitle!.match(/max (-?[\d.]+)/)![1])).toBeCloseTo(byMax[0], 1);
  const truth = detail.getByTestId('truth');
  await expect(truth).toContainText(/× the best of your 5 photos/);
  expect(Number(await truth.getAttribute('data-ratio'))).toBeGreaterThan(0);

  // The best example opens its whole photo explained, with this card's channel pinned and its map shown.
  const best = strip.locator('figure').first();
  const bestValue = Number(await best.getAttribute('data-value'));
  await best.getByRole('button', { name: /^open .* explained$/ }).click();
  await expect(detail).toHaveCount(0);
  const pinned = panel.getByTestId('explained').locator('section[data-layer="conv_pw_3_bn"]').getByTestId('pinned');
  await expect(pinned).toHaveAttribute('data-channel', String(channel));
  expect(Number(await pinned.getAttribute('data-max'))).toBeCloseTo(bestValue, 3);
  await panel.getByRole('button', { name: 'close' }).click();

  // The band's examples row: three crops under the rendered card.
  await band.getByRole('button', { name: 'examples' }).click();
  await expect(band.getByTestId('examples').first()).toHaveAttribute('data-count', '5');
  await expect(band.getByTestId('examples').first().locator('.crop')).toHaveCount(3);

  // The layer ZIP carries the examples: crops of the boxes and examples.json in the CLI's schema.
  const download = page.waitForEvent('download');
  await band.getByRole('button', { name: 'ZIP' }).click();
  const zip = unzipSync(readFileSync(await (await download).path()));
  const ex = JSON.parse(new TextDecoder().decode(zip['examples/examples.json']));
  expect(ex).toMatchObject({ layer: 'conv_pw_3_bn', inputSize: [224, 224] });
  const mine = ex.channels.find((c: { channel: number }) => c.channel === channel);
  expect(mine.examples).toHaveLength(5);
  expect(mine.examples.map((e: { photo: string }) => e.photo)).toContain('trip/face.jpg');
  for (const [rank, e] of mine.examples.entries()) {
    const png = decode(zip[`examples/conv_pw_3_bn-${channel}-${rank + 1}.png`]);
    expect([png.width, png.height]).toEqual([e.width, e.height]);
  }
  // Explaining and summarizing the photos left no tensor behind in the worker.
  expect(await workerTensors(page)).toBe(tensorsBefore);
});

test('adding photos says how many were added, how many were already there, and which files were skipped and why', async ({
  page,
}) => {
  const panel = await openPhotos(page);
  const dir = mkdtempSync(join(tmpdir(), 'fs-photo-again-'));
  copyFileSync(join(SHARED, 'airplane.jpg'), join(dir, 'a.jpg'));
  copyFileSync(join(SHARED, 'airplane.jpg'), join(dir, 'same-as-a.jpg'));
  copyFileSync(join(SHARED, 'portrait.jpg'), join(dir, 'b.jpg'));
  writeFileSync(join(dir, 'one.txt'), 'not a photo');
  writeFileSync(join(dir, 'two.jpg'), 'not a photo either');
  const files = ['a.jpg', 'same-as-a.jpg', 'b.jpg', 'one.txt', 'two.jpg'].map((f) => join(dir, f));
  const input = panel.locator('input[type=file]').first();
  await input.setInputFiles(files);
  await expect(panel.getByTestId('photos-added')).toHaveText(
    'Added 2 photos; 1 already in the set (the same file contents), kept once.',
  );
  // Each skipped file is named with its reason, one after the other.
  await expect(panel.getByRole('alert')).toHaveText(
    /^Skipped 2: one\.txt \(not an image the browser can decode[^)]*\)\); two\.jpg \(not an image the browser can decode[^)]*\)\)$/,
  );
  await expect(panel.getByRole('button', { name: /^explain / })).toHaveCount(5);
  // The same files again: nothing new.
  await input.setInputFiles(files.slice(0, 3));
  await expect(panel.getByTestId('photos-added')).toHaveText(
    'Added 0 photos; 3 already in the set (the same file contents), kept once.',
  );
  await expect(panel.getByRole('alert')).toHaveCount(0);
  await expect(panel.getByRole('button', { name: /^explain / })).toHaveCount(5);
});

test('adding many photos shows progress and can be cancelled; what was added stays after a reload', async ({ page }) => {
  const panel = await openPhotos(page);
  // 30 different large files (one 2951-px photo with different trailing bytes, which decoders ignore).
  const dir = mkdtempSync(join(tmpdir(), 'fs-many-'));
  const photo = readFileSync(join(SHARED, 'airplane.jpg'));
  const files = Array.from({ length: 30 }, (_, i) => {
    const f = join(dir, `plane-${i}.jpg`);
    writeFileSync(f, Buffer.concat([photo, Buffer.from(`copy ${i}`)]));
    return f;
  });
  await panel.getByLabel('add photos').setInputFiles(files);
  await expect(panel.getByTestId('photo-progress')).toContainText(/adding photos: \d+ \/ 30/);
  await panel.getByRole('button', { name: 'cancel' }).click();
  await expect(panel.getByText('Stopped: the photos read so far are kept.')).toBeVisible();
  const count = await panel.getByRole('button', { name: /^explain / }).count();
  expect(count).toBeGreaterThan(3);
  expect(count).toBeLessThan(33);
  await page.reload();
  await page.locator('section.band[data-layer="conv1_bn"]').waitFor();
  await page.getByRole('button', { name: 'your photos' }).click();
  await expect(page.getByLabel('your photos').getByRole('button', { name: /^explain / })).toHaveCount(count);
});

test('a photo removed while it is explained leaves the panel: its explanation does not come back without it', async ({
  page,
}) => {
  const panel = await openPhotos(page);
  // Removed at once, while the worker reads it (whether or not its answer has come yet, it must not stay).
  await panel.getByRole('button', { name: 'explain cat.jpg' }).click();
  await panel.getByRole('button', { name: 'remove cat.jpg' }).click();
  await expect(panel.getByRole('button', { name: /^explain / })).toHaveCount(2);
  await expect(panel.getByText(/^Pick a photo/)).toBeVisible();
  // Long enough for the worker to have answered the cat's explanation: nothing of it shows.
  await page.waitForTimeout(5000);
  await expect(panel.getByTestId('explained')).toHaveCount(0);
  // Another photo explained afterwards shows as usual.
  await panel.getByRole('button', { name: 'explain airplane.jpg' }).click();
  await expect(panel.getByTestId('explained').getByLabel('top classes')).toContainText(/airliner|wing|airship|warplane/);
});

test('"what layers keep of it": a photo of the set opens in the photo lab, inverted at once', async ({ page }) => {
  const panel = await openPhotos(page);
  await panel.getByRole('button', { name: 'explain airplane.jpg' }).click();
  await expect(panel.getByTestId('explained')).toBeVisible();
  await panel.getByRole('button', { name: 'what layers keep of it' }).click();
  const lab = page.getByLabel('photo lab');
  await expect(lab.getByRole('button', { name: 'what layers keep' })).toHaveAttribute('aria-pressed', 'true');
  // Not a sample: the set's own file, named, and the inversion started without another click.
  await expect(lab.getByRole('button', { name: 'airplane', exact: true })).toHaveAttribute('aria-pressed', 'false');
  const progress = page.getByTestId('inversion-progress');
  await expect(progress).toHaveAttribute('data-done', 'yes', { timeout: 120_000 });
  await expect(progress).toHaveText('airplane.jpg after 192 steps');
  await expect(page.getByTestId('inversion').locator('img.photo')).toHaveAttribute('alt', 'airplane.jpg');
  await expect(page.getByTestId('inversion').locator('figure[data-layer] canvas')).toHaveCount(4);
  // Another tab and back: the inversion shown is the one made, not started again.
  await lab.getByRole('button', { name: 'convolution', exact: true }).click();
  await lab.getByRole('button', { name: 'what layers keep' }).click();
  await page.waitForTimeout(1000);
  // Checked at once (a new run would show "computing…" and a stop button for seconds, then end the same way).
  await expect(lab.getByRole('button', { name: 'stop' })).toHaveCount(0, { timeout: 500 });
  await expect(progress).toHaveText('airplane.jpg after 192 steps', { timeout: 500 });
});
