import { test, expect, type Page } from '@playwright/test';
import { PASSWORD, PIN, hydrated, signIn, ORGANISATION } from './demo';

test('a supervisor signs in with a password and sees who is signed in', async ({ page }) => {
  await signIn(page, 'supervisor.lisbon');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('signed-in-as')).not.toBeEmpty();
  await expect(page.getByText(/Signed in as .* · Harbour Hotels \(.*supervisor.*\)/)).toBeVisible();
  await page.screenshot({ path: 'screenshots/signed-in.png', fullPage: true });
});

test('the sign-in form asks for the organisation once per device, and an address may name it', async ({ page }) => {
  await page.goto('/sign-in?organisation=harbour');
  await expect(page.getByLabel('Organisation')).toHaveValue('harbour');
  await signIn(page, 'leader');
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto('/sign-in');
  await expect(page.getByLabel('Organisation')).toHaveValue(ORGANISATION);
  // The same username in an organisation that does not exist answers like a wrong password.
  await hydrated(page);
  await page.getByLabel('Organisation').fill('no-such-organisation');
  await page.getByLabel('Username').fill('leader');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Wrong username or password.' })).toBeVisible();
});

test('a staff member is refused the administration pages', async ({ page }) => {
  await signIn(page, 'staff.lisbon');
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/admin');
  await expect(page.getByTestId('refused')).toHaveText('you are not allowed to do that');
  await page.screenshot({ path: 'screenshots/admin-refused.png', fullPage: true });
});

test('an admin sees people, budgets and the audit log, and a budget change is audited', async ({ page }) => {
  await signIn(page, 'admin');
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/admin');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Administration · Harbour Hotels' })).toBeVisible();
  await expect(page.getByTestId('organisation-short-name')).toContainText(ORGANISATION);
  await page.getByLabel('For', { exact: true }).first().selectOption('role:leader');
  await page.getByLabel('Daily budget').fill('45.00');
  await page.getByRole('button', { name: 'Save budget' }).click();
  await expect(page.getByRole('cell', { name: 'budget.set-policy' }).first()).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Role: leader' })).toBeVisible();
  // The organisation's own lists: a new category is added and audited.
  await page.getByLabel('New entry').fill('Lost luggage');
  await page.getByRole('button', { name: 'Add to list' }).click();
  await expect(page.getByRole('cell', { name: 'Lost luggage', exact: true })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'taxonomy.add' })).toBeVisible();
  await page.screenshot({ path: 'screenshots/admin.png', fullPage: true });
});

test('on a shared tablet staff switch in with their PIN and the tablet returns to the picker', async ({ page }) => {
  await signIn(page, 'supervisor.lisbon');
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/tablet');
  await hydrated(page);
  await page.getByRole('button', { name: 'Use as the tablet of Lisbon Riverside' }).click();
  await expect(page.getByRole('heading', { name: 'Who is it? · Lisbon Riverside' })).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveText('Shared tablet · Lisbon Riverside');
  await page.screenshot({ path: 'screenshots/tablet-picker.png', fullPage: true });

  const tiles = page.locator('.tile');
  const name = (await tiles.nth(1).locator('.tile-name').textContent()) ?? '';
  await tiles.nth(1).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await hydrated(page);

  await page.getByLabel('Your PIN').fill('0000');
  await page.getByRole('button', { name: 'Start my turn' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Wrong PIN.' })).toBeVisible();

  await page.getByLabel('Your PIN').fill(PIN);
  await page.getByRole('button', { name: 'Start my turn' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}` })).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveText(`${name} · tablet Lisbon Riverside`);
  await page.screenshot({ path: 'screenshots/tablet-turn.png', fullPage: true });

  await page.getByRole('button', { name: 'Done — back to the picker' }).click();
  await expect(page.getByRole('heading', { name: 'Who is it? · Lisbon Riverside' })).toBeVisible();
});

test('repeated wrong passwords are throttled with a time to retry', async ({ page }) => {
  await page.goto('/sign-in');
  await hydrated(page);
  for (let attempt = 0; attempt < 5; attempt++) {
    await page.getByLabel('Organisation').fill(ORGANISATION);
    await page.getByLabel('Username').fill('manager.lisbon');
    await page.getByLabel('Password').fill(`wrong guess ${attempt}`);
    // Wait for each answer: the alert of the previous attempt reads the same.
    const answered = page.waitForResponse((r) => r.url().includes('/api/sign-in'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await answered;
    await expect(page.getByRole('alert').filter({ hasText: 'Wrong username or password.' })).toBeVisible();
  }
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: /Too many wrong attempts\. Try again in 1 minute/ })).toBeVisible();
  await page.screenshot({ path: 'screenshots/sign-in-throttled.png', fullPage: true });
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('a wrong password is explained after a plain form post', async ({ page }) => {
    await page.goto('/sign-in');
    await page.getByLabel('Organisation').fill(ORGANISATION);
    await page.getByLabel('Username').fill('leader');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/sign-in/);
    await expect(page.getByRole('alert').filter({ hasText: 'Wrong username or password.' })).toBeVisible();
  });

  test('signing in works as a plain form post', async ({ page }) => {
    await page.goto('/sign-in');
    await page.getByLabel('Organisation').fill(ORGANISATION);
    await page.getByLabel('Username').fill('leader');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId('signed-in-as')).not.toBeEmpty();
  });
});
