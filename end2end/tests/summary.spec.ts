import { test, expect, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import { hydrated, signIn } from './demo';

test('leadership writes a commentary, publishes the month, and prints it', async ({ page, browser }) => {
  await signIn(page, 'leader');
  await page.getByRole('link', { name: 'Monthly summary' }).click();
  await hydrated(page);
  const summary = page.getByTestId('summary');
  await expect(summary.getByRole('heading', { level: 1 })).toContainText('All locations');
  await expect(page.getByTestId('draft-status')).toContainText('Not published yet');
  // Real SVG charts from the server, each with its table.
  expect(await page.locator('svg.chart').count()).toBeGreaterThanOrEqual(5);
  await expect(page.getByTestId('headline')).toContainText('Recoveries');
  await expect(page.getByTestId('spend')).toContainText('EUR');
  await expect(page.getByTestId('empowerment')).toContainText('not thrift');

  await page.getByLabel('Leadership commentary').fill('Rooms not ready at London is our top cause; housekeeping and the front desk own the fix.');
  await page.getByRole('button', { name: 'Save commentary' }).click();
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Leadership commentary')).toHaveValue(/Rooms not ready at London/);

  await page.getByRole('button', { name: 'Publish the month' }).click();
  await expect(page.getByTestId('published')).toContainText('Published by Helena Marques');
  await expect(page.getByTestId('commentary')).toContainText('Rooms not ready at London');
  await expect(page.getByRole('button', { name: 'Publish the month' })).toHaveCount(0);

  fs.mkdirSync('screenshots', { recursive: true });
  await page.screenshot({ path: 'screenshots/summary.png', fullPage: true });
  await page.emulateMedia({ media: 'print' });
  await page.pdf({ path: 'screenshots/summary.pdf', format: 'A4', printBackground: true });
  expect(fs.statSync('screenshots/summary.pdf').size).toBeGreaterThan(10_000);
  await page.emulateMedia({ media: 'screen' });

  // The CSV exports, for the month on screen.
  const month = await page.locator('select[name="month"]').inputValue();
  const tables = await page.request.get(`/summary/export/tables.csv?month=${month}&location=all`);
  expect(tables.status()).toBe(200);
  expect(tables.headers()['content-type']).toContain('text/csv');
  const body = await tables.text();
  expect(body).toContain('table,row,measure,value');
  expect(body).toContain('summary,');
  expect(body).toContain(',state,published');
  const recoveries = await page.request.get(`/summary/export/recoveries.csv?month=${month}&location=all`);
  expect(recoveries.status()).toBe(200);
  expect((await recoveries.text()).split('\r\n').length).toBeGreaterThan(10);

  // Readable without JavaScript: the same page, charts and all, from the server alone.
  const plain = await browser.newContext({ javaScriptEnabled: false, storageState: await page.context().storageState() });
  const noJs = await plain.newPage();
  await noJs.goto(`/summary?month=${month}&location=all`);
  await expect(noJs.getByTestId('published')).toContainText('Published by Helena Marques');
  expect(await noJs.locator('svg.chart rect.chart-bar').count()).toBeGreaterThan(5);
  await plain.close();
});

test('a manager reads their location; staff get neither the page nor the export', async ({ page }) => {
  await signIn(page, 'manager.london');
  await page.goto('/summary');
  await hydrated(page);
  await expect(page.getByTestId('summary').getByRole('heading', { level: 1 })).toContainText('London');
  // Managers read; leadership publishes.
  await expect(page.getByRole('button', { name: 'Publish the month' })).toHaveCount(0);
  const refused = await page.request.get('/summary/export/tables.csv?location=all');
  expect(refused.status()).toBe(403);

  await page.context().clearCookies();
  await signIn(page, 'staff.lisbon');
  await page.goto('/summary');
  await expect(page.getByTestId('refused')).toHaveText('you are not allowed to do that');
  const csv = await page.request.get('/summary/export/recoveries.csv');
  expect(csv.status()).toBe(403);
});
