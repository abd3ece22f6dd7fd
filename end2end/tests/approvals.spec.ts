import { test, expect, type Page } from '@playwright/test';
import { PIN, hydrated, signIn } from './demo';

test('an over-budget request arrives live in the queue, is part-approved, and the tablet shows it', async ({ browser }) => {
  // Two devices: the supervisor's laptop and the front desk's shared tablet.
  const laptop = await (await browser.newContext()).newPage();
  const tablet = await (await browser.newContext()).newPage();

  await signIn(laptop, 'supervisor.lisbon');
  await laptop.goto('/approvals');
  await hydrated(laptop);
  await expect(laptop.getByTestId('live')).toHaveText(/^Live:/);

  await signIn(tablet, 'supervisor.lisbon');
  await tablet.goto('/tablet');
  await hydrated(tablet);
  await tablet.getByRole('button', { name: 'Use as the tablet of Lisbon Riverside' }).click();
  await tablet.getByRole('link', { name: /Rui Costa/ }).click();
  await hydrated(tablet);
  await tablet.getByLabel('Your PIN').fill(PIN);
  await tablet.getByRole('button', { name: 'Start my turn' }).click();
  await tablet.getByRole('link', { name: 'Log a recovery' }).click();
  await hydrated(tablet);

  // 150.00 is past any Lisbon front-desk budget (and its 100.00 cap): part of it must wait.
  const story = 'Approval test: bathroom flooded overnight';
  await tablet.locator('label.choice', { hasText: 'Maintenance issue' }).click();
  await tablet.locator('label.choice', { hasText: 'Upgrade' }).click();
  await tablet.getByLabel(/^Amount/).fill('150');
  await tablet.locator('label.choice', { hasText: 'Satisfied' }).click();
  await tablet.getByText('More details').click();
  await tablet.getByLabel('What happened (optional)').fill(story);
  await tablet.getByRole('button', { name: 'Log recovery' }).click();
  await expect(tablet.getByTestId('outcome')).toContainText('Sent for approval');

  // No reload on the laptop: the request appears by itself.
  const request = laptop.getByTestId('request').filter({ hasText: story });
  await expect(request).toBeVisible({ timeout: 10_000 });
  await laptop.screenshot({ path: 'screenshots/approvals.png', fullPage: true });
  await request.getByLabel('Approve part').fill('20.00');
  await request.getByRole('button', { name: 'Approve part' }).click();
  await expect(laptop.getByRole('status').filter({ hasText: 'Approved 20.00 EUR of the request for Rui Costa.' })).toBeVisible();
  await expect(laptop.getByTestId('request').filter({ hasText: story })).toHaveCount(0);

  await tablet.goto('/my-log?days=1');
  await hydrated(tablet);
  const row = tablet.getByTestId('my-log').locator('tr').filter({ hasText: story });
  await expect(row).toContainText('Partly approved');
  await tablet.screenshot({ path: 'screenshots/my-log-partly-approved.png', fullPage: true });
});

test('staff cannot open the approval queue', async ({ page }) => {
  await signIn(page, 'staff.lisbon');
  await page.goto('/approvals');
  await expect(page.getByTestId('refused')).toHaveText('you are not allowed to do that');
});
