/**
 * `npm run bench:first-render`: on each backend the browser offers, how long a clicked card takes to show its first
 * snapshot (step 16) and to finish, in a fresh page — on a software GPU (SwiftShader) the first steps are spent
 * compiling the backend's shaders/pipelines, which is what the WebGL/WebGPU end-to-end test waits for.
 * MobileNet v1 α0.25, conv_pw_3_bn channel 5, 64 px, 64 steps. Needs a build (`vite build`); starts `vite preview`.
 * `--backends wasm,webgl,webgpu` picks the backends.
 */
import { WEBGPU_TEST_ARGS } from '../tests/chromium-args.ts';
import { openStudioBrowser } from './studio-browser.ts';

const args = process.argv.slice(2);
const backends = (args.includes('--backends') ? args[args.indexOf('--backends') + 1] : 'wasm,webgl,webgpu').split(',');
const PORT = 4177;
const CARD = 'section.band[data-layer="conv_pw_3_bn"] .card[data-channel="5"]';

const { browser, close } = await openStudioBrowser(PORT, WEBGPU_TEST_ARGS);
try {
  for (const backend of backends) {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await ctx.newPage();
    const t0 = performance.now();
    const since = () => (performance.now() - t0) / 1000;
    await page.goto(`http://127.0.0.1:${PORT}/?model=mobilenet_v1_0.25_224&steps=64&size=64&auto=0&backend=${backend}`);
    const shown = page.getByTestId('backend').locator('strong');
    await shown.filter({ hasText: backend }).waitFor({ timeout: 120_000 });
    const ready = since();
    await page.locator(CARD).click();
    const clicked = since();
    await page.locator(`${CARD}[data-updates="1"]`).waitFor({ timeout: 300_000 });
    const first = since() - clicked;
    await page.locator(`${CARD}[data-status="done"]`).waitFor({ timeout: 300_000 });
    const done = since() - clicked;
    // Steps 16 → 64 after the first snapshot: the backend's steady cost.
    const steadyMs = ((done - first) * 1000) / 48;
    console.log(
      JSON.stringify({
        backend,
        pageReadySeconds: +ready.toFixed(2),
        firstSnapshotSeconds: +first.toFixed(2),
        doneSeconds: +done.toFixed(2),
        msPerStepAfterFirst: +steadyMs.toFixed(1),
      }),
    );
    await ctx.close();
  }
} finally {
  await close();
}
