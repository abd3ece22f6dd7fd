import { defineConfig } from '@playwright/test';
import * as os from 'node:os';
import * as path from 'node:path';

// Browser tests run in Debian's Chromium (never a downloaded browser) against the release
// build, started by the webServer entry on its own SQLite file with the demo loaded.
const port = Number(process.env.GOODWILL_E2E_PORT ?? 3210);
const idleSeconds = Number(process.env.GOODWILL_TABLET_IDLE_SECONDS ?? 30);
process.env.GOODWILL_TABLET_IDLE_SECONDS = String(idleSeconds);
const serverBinary = process.env.GOODWILL_SERVER_BIN ?? '../target/release/server';
// A new SQLite file per run, outside the folders Playwright cleans.
const database = path.join(os.tmpdir(), `goodwill-e2e-${Date.now()}.db`);

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 820, height: 1180 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `${serverBinary} serve --demo --addr 127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/healthz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATABASE_URL: process.env.GOODWILL_E2E_DATABASE_URL ?? `sqlite:${database}`,
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? '../target/site',
      // DEV: the demo's published passwords are refused in production (LEPTOS_ENV=PROD).
      LEPTOS_ENV: 'DEV',
      RUST_LOG: 'warn',
      // Short tablet turns, so the tests that wait for a turn to go idle wait 30 s, not 2 min
      // (front-line.spec.ts reads the same variable).
      GOODWILL_TABLET_IDLE_SECONDS: String(idleSeconds),
    },
  },
});
