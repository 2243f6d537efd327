import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE, WEBGPU_TEST_ARGS } from './tests/chromium-args.ts';

export default defineConfig({
  testDir: 'tests/e2e',
  globalSetup: './tests/temp-dir.ts',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: 'http://127.0.0.1:4173',
    viewport: { width: 1400, height: 1000 },
    acceptDownloads: true,
    launchOptions: {
      executablePath: CHROMIUM_EXECUTABLE,
      // WebGPU (SwiftShader's adapter here) for the backend comparison test.
      args: [...CHROMIUM_ARGS, ...WEBGPU_TEST_ARGS],
    },
  },
  webServer: {
    command: 'npx vite preview --port 4173 --strictPort',
    url: 'http://127.0.0.1:4173',
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
