import { test, expect, type Page, type BrowserContext } from '@playwright/test';
import * as path from 'node:path';
import { ORGANISATION, PASSWORD, PIN, hydrated, logFix, signIn } from './demo';

// Demo people who never use their budget (so today's figures are known): Lisbon Riverside,
// organisation default 50.00 EUR a day, at most 100.00 per recovery.
const axePath = path.join(__dirname, '..', 'node_modules', 'axe-core', 'axe.min.js');
// The server's idle time for a tablet turn (playwright.config.ts passes the same to it).
const idleSeconds = Number(process.env.GOODWILL_TABLET_IDLE_SECONDS ?? 30);

/** A supervisor turns the page's device into the Lisbon tablet; then `person` enters their PIN. */
async function tabletTurn(page: Page, person: string, javascript = true) {
  await page.goto('/sign-in');
  if (javascript) await hydrated(page);
  await page.getByLabel('Organisation').fill(ORGANISATION);
  await page.getByLabel('Username').fill('supervisor.lisbon');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/tablet');
  if (javascript) await hydrated(page);
  await page.getByRole('button', { name: 'Use as the tablet of Lisbon Riverside' }).click();
  await page.getByRole('link', { name: new RegExp(person) }).click();
  if (javascript) await hydrated(page);
  await page.getByLabel('Your PIN').fill(PIN);
  await page.getByRole('button', { name: 'Start my turn' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${person}` })).toBeVisible();
}

async function noAccessibilityViolations(page: Page) {
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    // @ts-expect-error axe is injected above
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations.map((v: { id: string; help: string; nodes: { target: string[] }[] }) =>
      `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  expect(violations).toEqual([]);
}

test.describe('the front-line tablet', () => {
  // axe-core is injected as a script: let it past the page's own Content-Security-Policy.
  test.use({ bypassCSP: true });

  test('logs within budget in four taps plus the amount, then over budget, then offline', async ({ page, context }) => {
    await tabletTurn(page, 'Olivia Nguyen');
    await page.getByRole('link', { name: 'Log a recovery' }).click();
    await hydrated(page);
    await expect(page.getByTestId('remaining')).toHaveText('50.00 EUR left today');
    await noAccessibilityViolations(page);
    await page.screenshot({ path: 'screenshots/log-form.png', fullPage: true });

    // Four taps plus the amount (a quick-amount chip).
    await page.locator('label.choice', { hasText: 'Room not ready' }).click();       // 1
    await page.locator('label.choice', { hasText: 'Complimentary item' }).click();   // 2
    await page.getByRole('button', { name: '5.00' }).click();                         // amount
    await page.locator('label.choice', { hasText: 'Delighted' }).click();            // 3
    await page.getByRole('button', { name: 'Log recovery' }).click();                 // 4
    await expect(page.getByTestId('outcome')).toHaveText('Posted — 45.00 EUR left today');
    await expect(page.getByTestId('remaining')).toHaveText('45.00 EUR left today');
    await page.screenshot({ path: 'screenshots/log-posted.png', fullPage: true });

    // Past the budget: what remains is posted, the rest waits for a supervisor.
    await page.locator('label.choice', { hasText: 'Noise' }).click();
    await page.locator('label.choice', { hasText: 'Refund' }).click();
    await page.getByLabel(/^Amount/).fill('60');
    await page.locator('label.choice', { hasText: 'Satisfied' }).click();
    await page.getByRole('button', { name: 'Log recovery' }).click();
    await expect(page.getByTestId('outcome')).toHaveText('Sent for approval: 15.00 EUR over your budget — 0.00 EUR left today');
    await page.screenshot({ path: 'screenshots/log-pending.png', fullPage: true });

    // A clear error next to the field, nothing lost.
    await page.locator('label.choice', { hasText: 'Noise' }).click();
    await page.locator('label.choice', { hasText: 'Discount' }).click();
    await page.getByLabel(/^Amount/).fill('-3');
    await page.locator('label.choice', { hasText: 'Neutral' }).click();
    await page.getByRole('button', { name: 'Log recovery' }).click();
    await expect(page.locator('.amount-field .field-error')).toHaveText("Amount can't be negative");

    // Offline: the recovery waits on the tablet and goes out once when the network is back.
    await context.setOffline(true);
    await page.locator('label.choice', { hasText: 'Wi-Fi' }).click();
    await page.locator('label.choice', { hasText: 'Fix or apology only' }).click();
    await page.getByLabel(/^Amount/).fill('0');
    await page.locator('label.choice', { hasText: 'Neutral' }).click();
    await page.getByText('More details').click();
    await page.getByLabel('What happened (optional)').fill('Offline test: router restarted for the guest');
    await page.getByRole('button', { name: 'Log recovery' }).click();
    await expect(page.getByTestId('waiting')).toHaveText(/1 recovery waiting to send/);
    await page.screenshot({ path: 'screenshots/log-waiting.png', fullPage: true });
    await context.setOffline(false);
    await expect(page.getByTestId('waiting')).toHaveText('');
    await expect(page.getByTestId('outcome')).toHaveText('Posted — 0.00 EUR left today');

    await page.goto('/my-log?days=1');
    await hydrated(page);
    const log = page.getByTestId('my-log');
    await expect(log.getByText('Offline test: router restarted for the guest')).toHaveCount(1);
    await expect(log.getByText('Waiting for approval')).toHaveCount(1);
    await expect(log.locator('tbody tr')).toHaveCount(3);
    await noAccessibilityViolations(page);
    await page.screenshot({ path: 'screenshots/my-log.png', fullPage: true });

    await page.goto('/today');
    await hydrated(page);
    await expect(page.getByTestId('remaining')).toHaveText('0.00 EUR');
    await expect(page.getByText("Today's budget is used up")).toBeVisible();
    await noAccessibilityViolations(page);
    await page.screenshot({ path: 'screenshots/today.png', fullPage: true });
  });

  test('an entry captured offline before midnight and sent after it waits for a supervisor', async ({ page, context }) => {
    // On the person's own device (signed in with a password), so the entry needs no tablet
    // turn to cover its capture the day before.
    await signIn(page, 'carla.novak');
    await page.goto('/log');
    await hydrated(page);
    // The network drops; the tablet captures the entry with its own clock, which says the day
    // before (26 hours ago, whatever the time of day now).
    await context.setOffline(true);
    await page.clock.setFixedTime(new Date(Date.now() - 26 * 60 * 60 * 1000));
    await page.locator('label.choice', { hasText: 'Noise' }).click();
    await page.locator('label.choice', { hasText: 'Complimentary item' }).click();
    await page.getByLabel(/^Amount/).fill('6');
    await page.locator('label.choice', { hasText: 'Satisfied' }).click();
    await page.getByText('More details').click();
    await page.getByLabel('What happened (optional)').fill('Late entry test: noisy corridor');
    await page.getByRole('button', { name: 'Log recovery' }).click();
    await expect(page.getByTestId('waiting')).toHaveText(/1 recovery waiting to send/);

    // Back online after that day closed: recorded on the day it happened, but nothing posts to
    // a closed day without a supervisor, and the receipt says so.
    await page.clock.setFixedTime(new Date());
    await context.setOffline(false);
    await expect(page.getByTestId('waiting')).toHaveText('');
    await expect(page.getByTestId('outcome')).toHaveText(
      /^Logged for \w{3} \d{2} \w{3} — that day has closed, so it went to a supervisor for approval$/);
    await page.screenshot({ path: 'screenshots/log-late.png', fullPage: true });

    await page.goto('/my-log?days=7');
    await hydrated(page);
    const late = page.getByTestId('my-log').locator('tbody tr', { hasText: 'Late entry test' });
    await expect(late).toHaveCount(1);
    await expect(late).toContainText('Waiting for approval');
  });

  test('entries logged offline are recorded for their person after the turn ended and someone else took the tablet', async ({ page, context }) => {
    // The turn must end on the server while the tablet is offline: wait out the idle time.
    test.setTimeout(idleSeconds * 1000 + 180_000);
    // Two Lisbon people no other test uses (the roster's last two of the rest).
    const reserved = ['Olivia Nguyen', 'Carla Novak', 'Beatriz Ferreira', 'Harry Okafor'];
    await tabletTurn(page, 'Olivia Nguyen');
    await page.getByRole('button', { name: 'Done — back to the picker' }).click();
    await expect(page.getByRole('heading', { name: /Who is it\?/ })).toBeVisible();
    const names = (await page.locator('a.tile .tile-name').allTextContents()).filter((n) => !reserved.includes(n));
    const [ana, bruno] = names.slice(-2);
    const startTurn = async (person: string) => {
      await page.goto('/tablet');
      await hydrated(page);
      await page.getByRole('link', { name: new RegExp(person) }).click();
      await hydrated(page);
      await page.getByLabel('Your PIN').fill(PIN);
      await page.getByRole('button', { name: 'Start my turn' }).click();
      await expect(page.getByRole('heading', { name: `Hello, ${person}` })).toBeVisible();
    };
    const stamp = Date.now();
    await startTurn(ana);
    await page.getByRole('link', { name: 'Log a recovery' }).click();
    await hydrated(page);
    await context.setOffline(true);
    await logFix(page, `Outbox test ${stamp}: first`);
    await logFix(page, `Outbox test ${stamp}: second`);
    await expect(page.getByTestId('waiting')).toHaveText(/2 recoveries waiting to send/);
    await expect(page.getByTestId('outbox-status')).toHaveText(/2 waiting to send/);
    // Ana walks away; her turn ends (idle) while the wifi is down.
    await page.waitForTimeout(idleSeconds * 1000 + 5_000);

    // The wifi is back and Bruno takes the tablet; the outbox drains from whatever page is open.
    await context.setOffline(false);
    await startTurn(bruno);
    await page.goto('/today');
    await hydrated(page);
    await expect(page.getByTestId('outbox-status')).toHaveText('');
    // Nothing of Ana's is Bruno's.
    await page.goto('/my-log?days=1');
    await hydrated(page);
    await expect(page.getByTestId('my-log').getByText(`Outbox test ${stamp}`)).toHaveCount(0);

    // Both are Ana's, once each.
    await startTurn(ana);
    await page.goto('/my-log?days=1');
    await hydrated(page);
    await expect(page.getByTestId('my-log').getByText(`Outbox test ${stamp}: first`)).toHaveCount(1);
    await expect(page.getByTestId('my-log').getByText(`Outbox test ${stamp}: second`)).toHaveCount(1);
  });

  test("a customer's earlier recoveries here appear after their room is typed", async ({ page }) => {
    // A room nobody has used: its history is only what this test logs.
    const room = `Room ${Date.now() % 10_000_000}`;
    const reference = page.getByLabel('Customer reference (room, table, order)');
    await tabletTurn(page, 'Carla Novak');
    await page.getByRole('link', { name: 'Log a recovery' }).click();
    await hydrated(page);
    await page.getByText('More details').click();
    await reference.fill(room);
    await reference.press('Tab');
    await expect(page.getByTestId('customer-history')).toHaveCount(0);
    await logFix(page, 'History test: no towels after housekeeping');
    await expect(page.getByTestId('outcome')).toHaveText(/Posted/);

    // The guest is back: typed another way, the same room shows what happened before.
    await reference.fill(room.toUpperCase().replace(' ', '  '));
    await reference.press('Tab');
    const history = page.getByTestId('customer-history');
    await expect(history).toContainText('1 earlier recovery for this customer here in the last 14 days');
    await expect(history).toContainText('no towels after housekeeping');
    await expect(history).toContainText('Fix or apology only');
    // Another room has none.
    await reference.fill(`${room}9`);
    await reference.press('Tab');
    await expect(page.getByTestId('customer-history')).toHaveCount(0);
  });

  test('a page that polls does not keep a turn: /approvals left open returns to the picker', async ({ page }) => {
    test.setTimeout(idleSeconds * 1000 + 120_000);
    await signIn(page, 'supervisor.lisbon');
    const supervisor = (await page.getByTestId('signed-in-as').textContent()) ?? '';
    await page.goto('/tablet');
    await hydrated(page);
    await page.getByRole('button', { name: 'Use as the tablet of Lisbon Riverside' }).click();
    // The supervisor takes a turn with their PIN and leaves the approvals page open.
    await page.getByRole('link', { name: new RegExp(supervisor) }).click();
    await hydrated(page);
    await page.getByLabel('Your PIN').fill(PIN);
    await page.getByRole('button', { name: 'Start my turn' }).click();
    await expect(page.getByRole('heading', { name: `Hello, ${supervisor}` })).toBeVisible();
    await page.goto('/approvals');
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'Approval queue' })).toBeVisible();
    // Past the idle time the page itself goes back to the picker, and the server agrees.
    await expect(page.getByRole('heading', { name: /Who is it\?/ })).toBeVisible({ timeout: idleSeconds * 1000 + 30_000 });
    const origin = new URL(page.url()).origin;
    const queue = await page.request.post('/api/approvals/queue', { form: { refresh: 'true' }, headers: { origin } });
    expect(queue.status()).toBe(401);
  });

  test('the sign-in, picker and today pages have no accessibility violations', async ({ page }) => {
    await page.goto('/sign-in');
    await hydrated(page);
    await noAccessibilityViolations(page);
    await page.goto('/');
    await hydrated(page);
    await noAccessibilityViolations(page);
  });

  test.describe('on a phone', () => {
    test.use({ viewport: { width: 390, height: 844 } });

    test('the log form fits and reads well', async ({ page }) => {
      await tabletTurn(page, 'Beatriz Ferreira');
      await page.goto('/log');
      await hydrated(page);
      await noAccessibilityViolations(page);
      await page.screenshot({ path: 'screenshots/log-form-phone.png', fullPage: true });
    });
  });
});

test.describe('the front-line tablet without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('logs a recovery with plain form posts and shows what happened', async ({ page }) => {
    await tabletTurn(page, 'Harry Okafor', false);
    await page.goto('/log');
    await page.locator('label.choice', { hasText: 'F&B slow service' }).click();
    await page.locator('label.choice', { hasText: 'Complimentary item' }).click();
    await page.getByLabel(/^Amount/).fill('8.50');
    await page.locator('label.choice', { hasText: 'Satisfied' }).click();
    await page.getByRole('button', { name: 'Log recovery' }).click();
    await expect(page).toHaveURL(/\/log\?logged=\d+/);
    await expect(page.getByTestId('outcome')).toHaveText('Posted — 41.50 EUR left today');

    // A missing choice is explained after the round trip.
    await page.locator('label.choice', { hasText: 'Complimentary item' }).click();
    await page.getByLabel(/^Amount/).fill('2');
    await page.locator('label.choice', { hasText: 'Satisfied' }).click();
    await page.getByRole('button', { name: 'Log recovery' }).click();
    await expect(page.getByTestId('outcome')).toContainText('Choose a category');

    await page.goto('/my-log?days=1');
    await expect(page.getByTestId('my-log').locator('tbody tr')).toHaveCount(1);
  });
});
