// The test browser itself (tests/chromium-args.ts): the switches that keep each page's cost down take effect, and
// Playwright's own disabled features survive ours (Chromium keeps only the last --disable-features switch).
import { readdirSync, readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { OMNIBOX_WEBUI_FEATURES } from '../chromium-args.ts';

/** The command lines of the Chromium browser processes (not their renderers) this run launched. */
function browserCommandLines(): string[][] {
  const lines: string[][] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const ours = argv.includes('--remote-debugging-pipe') && argv.some((a) => a.startsWith('--host-resolver-rules='));
    if (ours && !argv.some((a) => a.startsWith('--type='))) lines.push(argv);
  }
  return lines;
}

test('a page opens no address-bar WebUI renderer, and every disabled feature Playwright asks for stays disabled', async ({
  browser,
  page,
}) => {
  test.skip(process.platform !== 'linux', 'reads /proc');
  await page.goto('/?model=mobilenet_v1_0.25_224&steps=64&size=64&auto=0');
  await expect(page.locator('section.band[data-layer="conv_pw_1_bn"] .card:not([disabled])').first()).toBeVisible();
  const cdp = await browser.newBrowserCDPSession();
  const { targetInfos } = await cdp.send('Target.getTargets');
  expect(targetInfos.map((t) => t.url).filter((u) => u.startsWith('chrome://omnibox'))).toEqual([]);
  await cdp.detach();

  const lines = browserCommandLines();
  expect(lines.length).toBeGreaterThan(0);
  for (const argv of lines) {
    const lists = argv.filter((a) => a.startsWith('--disable-features=')).map((a) => a.split('=')[1].split(','));
    // Playwright's list first, ours last; ours is the one Chromium keeps.
    expect(lists.length).toBeGreaterThanOrEqual(2);
    const kept = lists.at(-1)!;
    for (const earlier of lists.slice(0, -1)) expect(earlier.filter((f) => !kept.includes(f))).toEqual([]);
    expect(kept).toEqual(expect.arrayContaining(OMNIBOX_WEBUI_FEATURES));
  }
});
