import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { API_KEY, apiClient, buildOnce, chromiumAvailable, launchChromium, startServer, waitForText, type Server } from './harness.js';

/**
 * Issue 15's pages in Chromium against the real built server: a member's
 * session sees "you used N of your M this month" on the credits page; the
 * console's customer page lists the team's members with their usage and edits
 * a member's limits with a reason; the reports page shows spend per member.
 */
const run = chromiumAvailable();

describe.skipIf(!run)('teams in the web app, in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let member: BrowserContext;
  let ops: BrowserContext;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    buildOnce();
    server = await startServer();
    api = apiClient(server.url);
    browser = await launchChromium();
    ops = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    await ops.addInitScript(`sessionStorage.setItem('purse.console.key', ${JSON.stringify(API_KEY)})`);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("a member's credits page says what it used of its monthly limit; the console shows and edits members; reports show spend per member", async () => {
    await api('/v1/customers/demo_user/members/ada', { method: 'PUT', body: { name: 'Ada', limits: { monthly: 50 }, reason: 'starter seat' } });
    await api('/v1/customers/demo_user/members/bob', { method: 'PUT', body: { name: 'Bob' } });
    // Ada spends 10 credits of the team's pool (5 seconds of video), Bob 4.
    const ada = await api<{ id: string; memberId: string }>('/v1/generations', { method: 'POST', body: { customerId: 'demo_user', toolId: 'video', units: 5, memberId: 'ada' } });
    expect(ada.memberId).toBe('ada');
    await api(`/v1/generations/${ada.id}/complete`, { method: 'POST', body: {} });
    await api('/v1/generations', { method: 'POST', body: { customerId: 'demo_user', toolId: 'video', units: 2, memberId: 'bob' } });

    // Ada's own session, as the app's backend would hand it to her browser.
    const session = await api<{ token: string; customerId: string; memberId: string; expiresAt: string }>('/v1/customers/demo_user/sessions', { method: 'POST', body: { memberId: 'ada' } });
    member = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    await member.addInitScript(`localStorage.setItem('purse.demo.session', ${JSON.stringify(JSON.stringify(session))})`);
    const page = await member.newPage();
    await page.goto('/credits');
    await waitForText(page.getByTestId('member-usage-line'), 'You used 10 of your 50 credits this month.');

    const console_ = await ops.newPage();
    await console_.goto('/console/customers/demo_user');
    const card = console_.getByTestId('members-card');
    const adaRow = card.getByTestId('member-row').filter({ hasText: 'ada' });
    await waitForText(adaRow, /10 of 50/);
    await waitForText(card.getByTestId('member-row').filter({ hasText: 'bob' }), /Bob/);
    // Each generation names its member.
    await waitForText(console_.getByTestId('generations'), /ada/);

    await card.getByTestId('member-edit-ada').click();
    const dialog = console_.getByRole('dialog');
    await dialog.getByLabel('Credits per month').fill('80');
    await dialog.getByRole('button', { name: 'Save member' }).click();
    await waitForText(dialog.getByRole('alert'), 'Please give a reason.');
    expect((await api<{ limits: unknown }>('/v1/customers/demo_user/members/ada')).limits).toEqual({ monthly: 50 });
    await dialog.getByLabel('Reason (required)').fill('more seats bought');
    await dialog.getByRole('button', { name: 'Save member' }).click();
    await waitForText(adaRow, /10 of 80/);
    expect(await api('/v1/customers/demo_user/members/ada')).toMatchObject({ limits: { monthly: 80 }, limitsReason: 'more seats bought' });

    await page.reload();
    await waitForText(page.getByTestId('member-usage-line'), 'You used 10 of your 80 credits this month.');

    const reports = await ops.newPage();
    await reports.goto('/console/reports');
    const table = reports.getByTestId('report-members');
    await waitForText(table, /Ada \(ada\)/);
    await waitForText(table, /Bob \(bob\)/);
  });
});
