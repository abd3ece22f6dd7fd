import { test, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { PIN, hydrated, logFix, setUpLisbonTablet } from './demo';

// A real outage: these tests run their own server on its own SQLite file and kill it (the
// network is gone for the tablet: nothing answers), then start it again on the same file.
// Chromium's emulated offline mode is not used here: it does not reach everything a service
// worker does, so a test relying on it could pass with the network still up.
const port = Number(process.env.GOODWILL_E2E_OUTAGE_PORT ?? 3221);
const origin = `http://127.0.0.1:${port}`;
const serverBinary = process.env.GOODWILL_SERVER_BIN ?? '../target/release/server';
// Long enough that three tablets' turns start before the first one goes idle.
const idleSeconds = 45;

class Server {
  private process?: ChildProcess;
  private log = '';
  constructor(private database: string) {}

  async start() {
    this.process = spawn(serverBinary, ['serve', '--demo', '--addr', `127.0.0.1:${port}`], {
      env: {
        ...process.env,
        DATABASE_URL: `sqlite:${this.database}`,
        LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? '../target/site',
        LEPTOS_ENV: 'DEV',
        RUST_LOG: 'warn',
        GOODWILL_TABLET_IDLE_SECONDS: String(idleSeconds),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process.stdout?.on('data', (chunk) => (this.log += chunk));
    this.process.stderr?.on('data', (chunk) => (this.log += chunk));
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`${origin}/healthz`)).ok) return;
      } catch {
        // not up yet
      }
      if (this.process.exitCode !== null) throw new Error(`the server exited:\n${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the server did not come up:\n${this.log}`);
  }

  /** The outage: the process is killed outright, nothing answers on its port. */
  async kill() {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await expect.poll(async () => {
      try {
        await fetch(`${origin}/healthz`);
        return 'answers';
      } catch {
        return 'gone';
      }
    }).toBe('gone');
  }
}

/** A new device: a supervisor sets it up as the Lisbon tablet. */
async function newTablet(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: origin, serviceWorkers: 'allow' });
  const page = await context.newPage();
  await setUpLisbonTablet(page);
  await expect(page.getByRole('heading', { name: /Who is it\?/ })).toBeVisible();
  return { context, page };
}

async function startTurn(page: Page, person: string) {
  await page.goto('/tablet');
  await hydrated(page);
  // Someone else's turn is running: end it first.
  const done = page.getByRole('button', { name: 'Done — back to the picker' });
  if (await done.isVisible()) {
    await done.click();
    await expect(page.getByRole('heading', { name: /Who is it\?/ })).toBeVisible();
  }
  await page.getByRole('link', { name: new RegExp(person) }).click();
  await hydrated(page);
  await page.getByLabel('Your PIN').fill(PIN);
  await page.getByRole('button', { name: 'Start my turn' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${person}` })).toBeVisible();
}

/** The last `n` names on the tablet's picker (each test has a database of its own). */
async function staff(page: Page, n: number): Promise<string[]> {
  await page.goto('/tablet');
  await hydrated(page);
  const names = await page.locator('a.tile .tile-name').allTextContents();
  expect(names.length).toBeGreaterThanOrEqual(n);
  return names.slice(-n);
}

/** /log is open, the service worker controls the page, and it keeps a copy of /log. */
async function logPageKeptOffline(page: Page) {
  await page.goto('/log');
  await hydrated(page);
  await expect
    .poll(() => page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      return navigator.serviceWorker.controller !== null && (await caches.match('/log')) !== undefined;
    }), { timeout: 30_000 })
    .toBe(true);
}

/** How many of this person's recoveries of the last day carry each text, as their own log shows. */
async function countInMyLog(page: Page, person: string, ...texts: string[]): Promise<number[]> {
  await startTurn(page, person);
  await page.goto('/my-log?days=1');
  await hydrated(page);
  const log = page.getByTestId('my-log');
  return Promise.all(texts.map((text) => log.getByText(text).count()));
}

test.describe('a real outage on shared tablets', () => {
  let server: Server;

  test.beforeEach(async () => {
    server = new Server(path.join(os.tmpdir(), `goodwill-outage-${Date.now()}.db`));
    await server.start();
  });

  test.afterEach(async () => {
    await server.kill();
  });

  test('/log reloaded with the server gone loads, queues an entry, and the entry arrives once when it is back', async ({ browser }) => {
    test.setTimeout(240_000);
    const { context, page } = await newTablet(browser);
    const [person] = await staff(page, 1);
    await startTurn(page, person);
    await logPageKeptOffline(page);

    await server.kill();
    const stamp = `Outage reload ${Date.now()}`;
    await page.reload();
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'Log a recovery' })).toBeVisible();
    await logFix(page, stamp);
    await expect(page.getByTestId('waiting')).toHaveText(/1 recovery waiting to send/);
    // Kept on the device, not in the page: a second reload still has it.
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('outbox-status')).toHaveText(/1 waiting to send/);
    // Other pages say they need the network instead of the browser's error.
    await page.goto('/my-log');
    await expect(page.getByTestId('offline-page')).toBeVisible();
    await page.goto('/log');
    await hydrated(page);

    // The server is back; the tablet notices by itself (it retries while anything waits).
    await server.start();
    await expect(page.getByTestId('outbox-status')).toHaveText('', { timeout: 60_000 });
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('outbox-status')).toHaveText('');
    expect(await countInMyLog(page, person, stamp)).toEqual([1]);
    await context.close();
  });

  test('a long outage with entries from three tablets: each entry once, for its person, after a turn expired', async ({ browser }) => {
    test.setTimeout(idleSeconds * 1000 + 300_000);
    const tablets = [await newTablet(browser), await newTablet(browser), await newTablet(browser)];
    const people = await staff(tablets[0].page, 3);
    // The three turns start one after the other, well within one idle time.
    for (const [i, { page }] of tablets.entries()) {
      await startTurn(page, people[i]);
      await logPageKeptOffline(page);
    }

    await server.kill();
    const stamp = `Outage three ${Date.now()}`;
    for (const [i, { page }] of tablets.entries()) {
      await page.reload();
      await hydrated(page);
      await logFix(page, `${stamp}: ${people[i]} one`);
      await logFix(page, `${stamp}: ${people[i]} two`);
      await expect(page.getByTestId('waiting')).toHaveText(/2 recoveries waiting to send/);
    }
    // Long enough for every turn to end on the server while nothing answers.
    await tablets[0].page.waitForTimeout(idleSeconds * 1000 + 5_000);

    await server.start();
    for (const { page } of tablets) {
      await page.goto('/tablet');
      await hydrated(page);
      await expect(page.getByTestId('outbox-status')).toHaveText('', { timeout: 60_000 });
    }
    const checker = tablets[0].page;
    for (const person of people) {
      const others = people.filter((p) => p !== person).map((other) => `${stamp}: ${other}`);
      const counts = await countInMyLog(checker, person, `${stamp}: ${person} one`, `${stamp}: ${person} two`, ...others);
      expect(counts, person).toEqual([1, 1, 0, 0]);
    }
    for (const { context } of tablets) await context.close();
  });
});
