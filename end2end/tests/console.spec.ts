import { test, expect, type Page } from '@playwright/test';
import { hydrated, signIn } from './demo';

test('a supervisor reverses a recovery from the review and it shows in both logs', async ({ browser }) => {
  const phone = await (await browser.newContext()).newPage();
  const laptop = await (await browser.newContext()).newPage();

  // A member of the front desk logs a fix on their own phone.
  const story = 'Reversal test: logged for the wrong guest';
  await signIn(phone, 'staff.lisbon');
  await phone.goto('/log');
  await hydrated(phone);
  await phone.locator('label.choice', { hasText: 'Wi-Fi' }).click();
  await phone.locator('label.choice', { hasText: 'Fix or apology only' }).click();
  await phone.getByLabel(/^Amount/).fill('0');
  await phone.locator('label.choice', { hasText: 'Neutral' }).click();
  await phone.getByText('More details').click();
  await phone.getByLabel('What happened (optional)').fill(story);
  await phone.getByRole('button', { name: 'Log recovery' }).click();
  await expect(phone.getByTestId('outcome')).toContainText('Posted');

  // The supervisor finds it with the filters, opens it, and reverses it with a reason.
  await signIn(laptop, 'supervisor.lisbon');
  await laptop.goto('/review');
  await hydrated(laptop);
  await laptop.getByLabel('What went wrong').selectOption({ label: 'Wi-Fi' });
  await laptop.getByLabel('What was done').selectOption({ label: 'Fix or apology only' });
  await laptop.getByRole('button', { name: 'Apply' }).click();
  await expect(laptop).toHaveURL(/category=wi-fi/);
  const item = laptop.getByTestId('review-row').filter({ hasText: story });
  await expect(item).toHaveCount(1);
  await item.locator('summary').click();
  await item.getByLabel('Reason for reversing').fill('Logged for the wrong guest');
  await laptop.screenshot({ path: 'screenshots/review.png', fullPage: true });
  await item.getByRole('button', { name: 'Reverse' }).click();
  await expect(laptop.getByRole('status').filter({ hasText: /^Reversed .*'s recovery/ })).toBeVisible();
  await expect(laptop.getByTestId('review-row').filter({ hasText: story })).toContainText('Reversed by');

  // The staff member's log shows the reversal and its reason…
  await phone.goto('/my-log?days=1');
  await hydrated(phone);
  const row = phone.getByTestId('my-log').locator('tr').filter({ hasText: story });
  await expect(row).toContainText('Reversed');
  await expect(row).toContainText('Logged for the wrong guest');

  // …and so does the supervisor's own log.
  await laptop.goto('/my-log');
  await hydrated(laptop);
  const mine = laptop.getByTestId('my-actions').locator('tr').filter({ hasText: 'Logged for the wrong guest' });
  await expect(mine).toContainText('Reversed');
});

test('the spend page shows people and teams against allowance for a chosen day', async ({ page }) => {
  await signIn(page, 'supervisor.lisbon');
  await page.goto('/spend');
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Spend ·');
  await expect(page.getByTestId('team-spend').getByRole('rowheader', { name: 'Front desk' })).toBeVisible();
  await expect(page.getByTestId('person-spend').locator('tbody tr')).not.toHaveCount(0);
  await page.screenshot({ path: 'screenshots/spend.png', fullPage: true });
  // A range in the past, chosen with the picker (a plain GET form).
  await page.getByLabel('From').fill('2026-01-05');
  await page.getByLabel('To').fill('2026-01-01');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByTestId('refused')).toContainText('earlier date first');
});

test('the sampled review records a verdict', async ({ page }) => {
  await signIn(page, 'supervisor.lisbon');
  await page.goto('/sample');
  await hydrated(page);
  const first = page.getByTestId('sample-item').first();
  await expect(first).toBeVisible();
  const person = (await first.getByRole('heading').textContent()) ?? '';
  await first.getByRole('button', { name: 'Looks right' }).click();
  await expect(page.getByTestId('sample-item').filter({ hasText: person }).first().getByTestId('verdict'))
    .toContainText('Looks right');
});

test('staff cannot open the console', async ({ page }) => {
  await signIn(page, 'staff.lisbon');
  for (const path of ['/spend', '/review', '/sample', '/budgets']) {
    await page.goto(path);
    await expect(page.getByTestId('refused')).toHaveText('you are not allowed to do that');
  }
});
