import { test, expect } from '@playwright/test';

test('the home page hydrates and checks the ledger through a server function', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));

  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Make it right');
  // The header sets this marker from an effect, which only runs once the wasm has hydrated.
  await expect(page.locator('header[data-hydrated="true"]')).toBeVisible();

  await page.getByRole('button', { name: 'Check the ledger' }).click();
  await expect(page.getByRole('status')).toContainText(/Ledger reachable: sqlite database, schema \d+/);
  // Hydrated: the action ran in place, without a full page navigation.
  expect(page.url()).toMatch(/\/$/);

  await page.screenshot({ path: 'screenshots/home.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('the health endpoint reports the database', async ({ request }) => {
  const response = await request.get('/healthz');
  expect(response.status()).toBe(200);
  expect(await response.json()).toMatchObject({ status: 'ok', database: 'sqlite' });
});
