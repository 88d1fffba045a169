import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { API_KEY, apiClient, buildOnce, chromiumAvailable, horizontalOverflow, launchChromium, startServer, waitForText, type Server } from './harness.js';

/**
 * Issue 14 part 4, the limits half, in Chromium against the real built server:
 * an operator sets the demo customer's spend limits on the console's customer
 * page, with a reason; the page and the API then agree on them. The customer's
 * credits page shows each limit with what is used, and a refusal at the limit.
 */
const run = chromiumAvailable();

describe.skipIf(!run)('spend limits in the web app, in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let user: BrowserContext;
  let ops: BrowserContext;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    buildOnce();
    server = await startServer();
    api = apiClient(server.url);
    browser = await launchChromium();
    user = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    ops = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    await ops.addInitScript(`sessionStorage.setItem('purse.console.key', ${JSON.stringify(API_KEY)})`);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the console sets limits with a reason and shows them; the credits page shows what is used of each', async () => {
    const console_ = await ops.newPage();
    await console_.goto('/console/customers/demo_user');
    const card = console_.getByTestId('limits-card');
    await waitForText(card.getByTestId('limits-none'), 'No spending limits.');

    await card.getByTestId('limits-open').click();
    const dialog = console_.getByRole('dialog');
    await dialog.getByLabel('Credits per day').fill('30');
    await dialog.getByLabel('Generations at once').fill('2');
    await dialog.getByText('Per tool').click();
    await dialog.getByLabel('Video per month').fill('500');
    // Without a reason the dialog refuses, and nothing changes.
    await dialog.getByRole('button', { name: 'Save limits' }).click();
    await waitForText(dialog.getByRole('alert'), 'Please give a reason.');
    expect((await api('/v1/customers/demo_user/limits')).own).toBeNull();
    await dialog.getByLabel('Reason (required)').fill('Agreed cap for the pilot');
    await dialog.getByRole('button', { name: 'Save limits' }).click();
    await waitForText(card.getByTestId('limit-day'), '0 of 30 credits');
    await waitForText(card.getByTestId('limit-inflight'), '0 of 2 generations');
    await waitForText(card.getByTestId('limit-video-month'), '0 of 500 credits');
    await waitForText(card, /Reason for the last change: Agreed cap for the pilot/);
    const state = await api('/v1/customers/demo_user/limits');
    expect(state).toMatchObject({ own: { daily: 30, maxInFlight: 2, tools: { video: { monthly: 500 } } }, reason: 'Agreed cap for the pilot' });

    // Spend through the API: 10 seconds of video (20 credits) held, then one more refused at the daily limit.
    const held = await api<{ id: string }>('/v1/generations', { method: 'POST', body: { customerId: 'demo_user', toolId: 'video', units: 10 } });
    const refused = await fetch(`${server.url}/v1/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: 'demo_user', toolId: 'video', units: 6 }),
    });
    expect(refused.status).toBe(402);
    expect(((await refused.json()) as { error: { code: string; details: unknown } }).error).toMatchObject({ code: 'spend_limit_reached', details: { scope: 'customer', window: 'day', limit: 30, used: 20, required: 12 } });

    const page = await user.newPage();
    await page.goto('/credits');
    await waitForText(page.getByRole('heading', { name: 'Spending limits' }), 'Spending limits');
    await waitForText(page.getByTestId('limit-day'), '20 of 30 credits');
    await waitForText(page.getByTestId('limit-inflight'), '1 of 2 generations');
    await waitForText(page.getByTestId('limit-video-month'), '20 of 500 credits');
    expect(await page.getByRole('meter', { name: 'Credits per day' }).getAttribute('aria-valuenow')).toBe('20');

    // A failure gives its credits back to the window: the page shows it after a reload.
    await api(`/v1/generations/${held.id}/fail`, { method: 'POST', body: { reason: 'model error' } });
    await page.reload();
    await waitForText(page.getByTestId('limit-day'), '0 of 30 credits');
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.waitForTimeout(150);
      expect(await horizontalOverflow(page), `credits page scrolls sideways at ${width} px`).toBe(0);
    }
    await console_.reload();
    await waitForText(console_.getByTestId('limits-card').getByTestId('limit-day'), '0 of 30 credits');
    await console_.setViewportSize({ width: 375, height: 812 });
    await console_.waitForTimeout(150);
    expect(await horizontalOverflow(console_), 'console customer page scrolls sideways at 375 px').toBe(0);
  });
});
