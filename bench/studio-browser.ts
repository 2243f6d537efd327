/**
 * What the studio benchmarks drive: the built studio served by `vite preview` on a port of their own, and Debian's
 * Chromium launched with the end-to-end tests' switches (tests/chromium-args.ts). Needs a build (`vite build`).
 */
import { spawn } from 'node:child_process';
import { chromium, type Browser } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from '../tests/chromium-args.ts';

export async function openStudioBrowser(
  port: number,
  extraArgs: string[] = [],
): Promise<{ browser: Browser; close(): Promise<void> }> {
  const server = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 2500));
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_EXECUTABLE, args: [...CHROMIUM_ARGS, ...extraArgs] });
  } catch (e) {
    server.kill();
    throw e;
  }
  return {
    browser,
    async close() {
      await browser.close();
      server.kill();
    },
  };
}
