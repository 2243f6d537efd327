/**
 * Makes a gallery render wait for a click (scheduler.ts): clicks queued cards until one lands while a batch runs —
 * between two batches there is nothing to outrank — and reads the waiting card at once (the click's render may take
 * only a second, then the card goes on).
 */
import { expect, type Locator, type Page } from '@playwright/test';

export interface Waiting {
  layer: string;
  channel: number;
  status: string | null;
  image: boolean;
  label: string;
}

const cardIn = (page: Page, layer: string, channel: number) =>
  page.locator(`section.band[data-layer="${layer}"] .card[data-channel="${channel}"]`);

export async function clickUntilOneWaits(page: Page): Promise<{ clicked: Locator; waiting: Waiting }> {
  const waiting = page.locator('section.band .card[data-waiting="yes"]:not([data-updates="0"])').first();
  let clicked: Locator | null = null;
  for (let tries = 0; tries < 4 && !(await waiting.count()); tries++) {
    const queued = page.locator('section.band .card[data-status="queued"]').first();
    clicked = cardIn(
      page,
      (await queued.evaluate((el) => el.closest('section.band')!.getAttribute('data-layer')))!,
      Number(await queued.getAttribute('data-channel')),
    );
    await clicked.click();
    await waiting.waitFor({ timeout: 3000 }).catch(() => undefined);
  }
  expect(clicked, 'a queued card was clicked').not.toBeNull();
  const seen = await waiting.evaluate((el) => ({
    layer: el.closest('section.band')!.getAttribute('data-layer')!,
    channel: Number(el.getAttribute('data-channel')),
    status: el.getAttribute('data-status'),
    image: !!el.querySelector('canvas'),
    label: el.querySelector('.label')?.textContent ?? '',
  }));
  return { clicked: clicked!, waiting: seen };
}
