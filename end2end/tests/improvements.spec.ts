import { test, expect, type Page } from '@playwright/test';
import { hydrated, signIn } from './demo';

test('a manager takes the proposed item from the queue to verified', async ({ page }) => {
  // The demo's recurring failure: rooms not ready at the London front desk.
  await signIn(page, 'manager.london');
  await page.goto('/improvements?status=proposed');
  await hydrated(page);
  const row = page.getByTestId('items').locator('tr').filter({ hasText: 'Room not ready at Front desk — London Harbour' });
  await expect(row).toHaveCount(1);
  await expect(page.getByTestId('signals')).toContainText('Room not ready at Front desk');
  await page.screenshot({ path: 'screenshots/improvements.png', fullPage: true });
  await row.getByRole('link').click();
  await hydrated(page);
  await expect(page.getByTestId('item-status')).toHaveText('Proposed');
  await expect(page.getByTestId('figures')).toContainText('Cost of failure');

  await page.getByRole('button', { name: 'Accept' }).click();
  await expect(page.getByTestId('item-status')).toHaveText('Accepted');
  // The owner: the first process owner offered (London's manager).
  await page.getByLabel('Owner', { exact: true }).selectOption({ index: 1 });
  await page.getByLabel('Countermeasure (what changes in the process)').fill('Housekeeping releases rooms by 14:00; the front desk sees a live board');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('countermeasure')).toHaveText('Housekeeping releases rooms by 14:00; the front desk sees a live board');
  await page.getByRole('textbox', { name: 'Comment' }).fill('Agreed with housekeeping at the morning meeting');
  await page.getByRole('button', { name: 'Add comment' }).click();
  await expect(page.getByTestId('history')).toContainText('Agreed with housekeeping');

  await page.getByRole('button', { name: 'Start work' }).click();
  await expect(page.getByTestId('item-status')).toHaveText('In progress');
  await page.getByRole('button', { name: 'Mark done' }).click();
  await expect(page.getByTestId('item-status')).toHaveText('Done');
  // The effect is measured from the ledger as soon as it is done.
  await expect(page.getByTestId('effect')).toContainText('Recurrences per week');
  await page.getByRole('button', { name: 'Verify: the fix worked' }).click();
  await expect(page.getByTestId('item-status')).toHaveText('Verified');
  await expect(page.getByTestId('history')).toContainText('Done → Verified');
  await page.screenshot({ path: 'screenshots/improvement-verified.png', fullPage: true });
});

test('staff cannot open the improvement queue', async ({ page }) => {
  await signIn(page, 'staff.lisbon');
  await page.goto('/improvements');
  await expect(page.getByTestId('refused')).toHaveText('you are not allowed to do that');
});
