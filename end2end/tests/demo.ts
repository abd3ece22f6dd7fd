import { expect, type Page } from '@playwright/test';

// The demo organisation (server serve --demo): every account's password and tablet PIN.
export const PASSWORD = 'goodwill-demo';
export const PIN = '2468';
// The demo organisation's short name, which sign-in asks for.
export const ORGANISATION = 'harbour';

/** The page's wasm has taken over (the header says so). */
export async function hydrated(page: Page) {
  await expect(page.locator('header[data-hydrated="true"]')).toBeVisible();
}

/** Signs in on /sign-in; with the right password the start page follows. */
export async function signIn(page: Page, username: string, password = PASSWORD) {
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByLabel('Organisation').fill(ORGANISATION);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (password === PASSWORD) {
    await expect(page).toHaveURL(/\/$/);
  }
}

/** A supervisor turns the page's device into the Lisbon tablet (the picker follows). */
export async function setUpLisbonTablet(page: Page) {
  await signIn(page, 'supervisor.lisbon');
  await page.goto('/tablet');
  await hydrated(page);
  await page.getByRole('button', { name: 'Use as the tablet of Lisbon Riverside' }).click();
}

/** Logs a no-cost fix on /log with `text` as what happened (online or offline alike). */
export async function logFix(page: Page, text: string) {
  await page.locator('label.choice', { hasText: 'Noise' }).click();
  await page.locator('label.choice', { hasText: 'Fix or apology only' }).click();
  await page.getByLabel(/^Amount/).fill('0');
  await page.locator('label.choice', { hasText: 'Neutral' }).click();
  // "More details" stays open after the first entry.
  const what = page.getByLabel('What happened (optional)');
  if (!(await what.isVisible())) await page.getByText('More details').click();
  await what.fill(text);
  await page.getByRole('button', { name: 'Log recovery' }).click();
}
