import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, buildOnce, chromiumAvailable, launchChromium, startServer, waitForText, API_KEY, type Server } from './harness.js';

/**
 * Issue 14, part 4 (auto top-up), in Chromium against the built server: an
 * operator sets the demo user's auto top-up with a reason in the console; it
 * buys at once (the balance is below the threshold), the server's worker pays,
 * the console lists the top-up as paid, and the user's credits page shows auto
 * top-up on with this month's count. Turned off again, both say so.
 */
const run = chromiumAvailable();

describe.skipIf(!run)('auto top-up in the web app', () => {
  let server: Server;
  let browser: Browser;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    buildOnce();
    server = await startServer({ PURSE_AUTO_TOP_UP_POLL_MS: '200' });
    api = apiClient(server.url);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function signedInConsole(): Promise<Page> {
    const ops = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    const page = await ops.newPage();
    page.on('pageerror', (err) => console.error('page error:', err.message));
    await page.goto('/console');
    await page.getByLabel('Secret API key').fill(API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Search customers').fill('demo_user');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name: 'demo_user' }).click();
    await waitForText(page.getByTestId('top-up-status'), 'Never set');
    return page;
  }

  it('the console sets it with a reason, the top-up is bought and paid, and both pages show it', async () => {
    const before = (await api<{ available: number }>('/v1/customers/demo_user/balance')).available;
    const console_ = await signedInConsole();

    await console_.getByTestId('top-up-open').click();
    const dialog = console_.getByRole('dialog', { name: 'Auto top-up' });
    await dialog.getByLabel('Below (credits)').fill('100000');
    await dialog.getByLabel('Pack').selectOption('pack-100');
    await dialog.getByLabel('Top-ups a month (optional)').fill('2');
    await dialog.getByRole('button', { name: 'Save auto top-up' }).click();
    await waitForText(dialog.getByRole('alert'), 'Please give a reason.');
    await dialog.getByLabel('Reason (required)').fill('Customer asked on the phone, ticket 5120');
    await dialog.getByRole('button', { name: 'Save auto top-up' }).click();
    await waitForText(console_.getByTestId('top-up-status'), 'On');
    await waitForText(console_.getByTestId('auto-top-up'), /Reason for the last change: Customer asked on the phone, ticket 5120/);

    // Enabled below the threshold: one top-up at once, paid by the server's worker.
    const deadline = Date.now() + 15_000;
    let state = await api('/v1/customers/demo_user/auto-top-up');
    while (state.thisMonth.purchases !== 1 || state.state.pendingPurchaseId !== null) {
      if (Date.now() > deadline) throw new Error(`the top-up was not paid: ${JSON.stringify(state)}`);
      await new Promise((r) => setTimeout(r, 200));
      state = await api('/v1/customers/demo_user/auto-top-up');
    }
    expect(state).toMatchObject({ enabled: true, threshold: 100000, packId: 'pack-100', monthlyLimit: { purchases: 2, amount: null }, reason: 'Customer asked on the phone, ticket 5120' });
    expect((await api<{ available: number }>('/v1/customers/demo_user/balance')).available).toBe(before + 100);
    const topUps = (await api<{ data: { autoTopUp: boolean; status: string }[] }>('/v1/customers/demo_user/purchases')).data.filter((p) => p.autoTopUp);
    expect(topUps).toEqual([expect.objectContaining({ status: 'paid' })]);

    await console_.reload();
    await waitForText(console_.getByTestId('top-up-row').first(), /100\s+\$10\.00\s+paid/);
    expect(await console_.getByTestId('top-up-row').count()).toBe(1);
    await waitForText(console_.getByTestId('top-up-month'), /^1 top-ups, \$10\.00 \(limit 2 top-ups\)$/);

    // The user's credits page.
    const user = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    const page = await user.newPage();
    await page.goto('/credits');
    await waitForText(page.getByTestId('auto-top-up-summary'), /^On\. When your balance falls below 100,000 credits, 100 credits \(100 credits\) are bought for \$10\.00\.$/);
    await waitForText(page.getByTestId('auto-top-up-month'), /^This month: 1 top-up of at most 2\./);

    // Turned off in the console, with a reason; the credits page says so.
    await console_.getByTestId('top-up-open').click();
    const off = console_.getByRole('dialog', { name: 'Auto top-up' });
    await off.getByRole('checkbox', { name: 'On' }).uncheck();
    await off.getByLabel('Reason (required)').fill('Customer asked to stop');
    await off.getByRole('button', { name: 'Save auto top-up' }).click();
    await waitForText(console_.getByTestId('top-up-status'), 'Off');
    expect((await api('/v1/customers/demo_user/auto-top-up')).enabled).toBe(false);
    await page.reload();
    await waitForText(page.getByTestId('auto-top-up-summary'), /^Off\. \(Customer asked to stop\)$/);
    await user.close();
  });
});
