import { mkdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { API_KEY, apiClient, buildOnce, chromiumAvailable, horizontalOverflow, launchChromium, SCREENSHOTS, startServer, waitForText, type Server } from './harness.js';

/**
 * Issue 12 item 8 in Chromium against the real built server: the studio and
 * credits pages warn of a low balance and of credits about to expire; the
 * console's Webhooks page adds an endpoint (its secret shown once), shows each
 * delivery attempt to a receiver in this process — a 500, then the retry's 200 —
 * replays an event and disables the endpoint; the customer page's Events tab
 * lists the customer's events and edits its alerts. Each step is checked in the
 * page and through the API (and the receiver checks every signature).
 */
const run = chromiumAvailable();

const DAY_MS = 86_400_000;
const utcDate = (iso: string) => new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(iso));
let seq = 0;
const uid = (prefix: string) => `${prefix}_${Date.now().toString(36)}${(seq++).toString(36)}`;

interface Received {
  id: string;
  type: string;
  status: number;
  /** Whether the signature checked out with the secret the page showed. */
  verified: boolean;
}

/** A webhook receiver: answers the queued statuses first, then 200; checks each signature once it knows the secret. */
async function startReceiver() {
  const received: Received[] = [];
  const queued: number[] = [];
  let secret: string | null = null;
  const server: HttpServer = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const status = queued.shift() ?? 200;
      let verified = false;
      try {
        if (secret) new Webhook(secret.slice('whsec_'.length)).verify(raw, req.headers as IncomingHttpHeaders & Record<string, string>);
        verified = secret !== null;
      } catch {
        verified = false;
      }
      const body = JSON.parse(raw) as { id: string; type: string };
      received.push({ id: String(req.headers['webhook-id']), type: body.type, status, verified });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'not now');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/purse-events`,
    received,
    answerNext: (...statuses: number[]) => queued.push(...statuses),
    useSecret: (s: string) => void (secret = s),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeout = 15_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!run)('events in the web app, in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let user: BrowserContext;
  let ops: BrowserContext;
  let api: ReturnType<typeof apiClient>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  const spend = async (customerId: string, units: number) => {
    const g = await api<{ id: string }>('/v1/generations', { method: 'POST', body: { customerId, toolId: 'video', units } });
    await api(`/v1/generations/${g.id}/complete`, { method: 'POST', body: {} });
  };
  const grant = (customerId: string, amount: number, extra: Record<string, unknown> = {}) =>
    api<{ id: string }>(`/v1/customers/${customerId}/grants`, { method: 'POST', body: { amount, source: 'bonus', reason: 'Browser test', ...extra } });
  async function fitsAt375(page: Page, name: string): Promise<void> {
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: width === 375 ? 812 : 900 });
      await page.evaluate('window.scrollTo(0, 0)');
      await page.waitForTimeout(150);
      expect(await horizontalOverflow(page), `${name} scrolls sideways at ${width} px`).toBe(0);
      await page.screenshot({ path: join(SCREENSHOTS, `${name}${width === 375 ? '-phone' : ''}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  beforeAll(async () => {
    buildOnce();
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Retries a quarter of a second apart, so the test sees a failed attempt and its retry.
    server = await startServer({ PURSE_WEBHOOK_RETRY_BASE_MS: '250', PURSE_WEBHOOK_POLL_MS: '100' });
    api = apiClient(server.url);
    receiver = await startReceiver();
    browser = await launchChromium();
    user = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    ops = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    await ops.addInitScript(`sessionStorage.setItem('purse.console.key', ${JSON.stringify(API_KEY)})`);
    await ops.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  });

  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await server?.stop();
  });

  it('shows a low-balance banner below the demo alert, and "N credits expire on …" from the balance', async () => {
    const page = await user.newPage();
    await page.goto('/credits');
    await waitForText(page.getByTestId('credits-balance'), /^550\s+credits$/);
    expect(await page.getByTestId('credits-notice').count()).toBe(0);
    expect(await api(`/v1/customers/demo_user/alerts`)).toEqual({ lowBalance: [100], expiringSoonDays: 7 });

    await spend('demo_user', 240); // 480 credits: 550 → 70, through the demo's alert at 100
    await waitForText(page.getByTestId('low-balance'), /Your balance is low: 70 credits left\./);
    expect(await page.getByTestId('expiring-soon').count()).toBe(0);
    const lows = await api<{ data: { type: string; data: { threshold: number } }[] }>('/v1/events?customerId=demo_user&type=credits.low');
    expect(lows.data.map((e) => e.data.threshold)).toEqual([100]);

    const expiresAt = new Date(Date.now() + 3 * DAY_MS).toISOString();
    await grant('demo_user', 20, { expiresAt });
    await waitForText(page.getByTestId('expiring-soon'), `20 credits expire on ${utcDate(expiresAt)}.`);
    await waitForText(page.getByTestId('low-balance'), /90 credits left/);
    const b = await api<{ available: number; expiringSoon: { credits: number; expiresAt: string } | null }>('/v1/customers/demo_user/balance');
    expect(b.available).toBe(90);
    expect(b.expiringSoon).toEqual({ credits: 20, expiresAt });

    await page.getByRole('link', { name: 'Studio', exact: true }).click();
    await waitForText(page.getByTestId('low-balance'), /90 credits left/);
    await waitForText(page.getByTestId('expiring-soon'), `20 credits expire on ${utcDate(expiresAt)}.`);
    await fitsAt375(page, 'studio-low-balance');

    await page.getByTestId('low-balance').getByRole('link', { name: 'Buy a pack' }).click();
    await page.waitForURL(/\/buy$/);
    await page.getByRole('radio', { name: /^100 credits/ }).check();
    await page.getByTestId('pay').click();
    await waitForText(page.getByTestId('purchase-done'), /your balance is now 190 credits/);
    await page.getByRole('link', { name: 'Credits', exact: true }).click();
    await waitForText(page.getByTestId('expiring-soon'), `20 credits expire on ${utcDate(expiresAt)}.`);
    expect(await page.getByTestId('low-balance').count()).toBe(0);
    await page.close();
  });

  it('adds a webhook endpoint, shows its secret once, a failed attempt and its retry, replays an event and disables the endpoint', async () => {
    const page = await ops.newPage();
    await page.goto('/console/webhooks');
    await waitForText(page.getByTestId('endpoints'), /No endpoints yet/);

    await page.getByLabel('URL').fill(receiver.url);
    await page.getByLabel('Description (optional)').fill('Backend: credits alerts');
    await page.getByText('Events: all types').click();
    await page.getByRole('checkbox', { name: 'credits.granted' }).check();
    await page.getByRole('checkbox', { name: 'credits.low' }).check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = await waitForText(page.getByTestId('endpoint-secret'), /^whsec_[A-Za-z0-9+/=]+$/);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await waitForText(page.getByRole('button', { name: 'Copied' }), 'Copied');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
    receiver.useSecret(secret);

    const list = await api<{ data: { id: string; url: string; events: string[]; status: string; secret?: string }[] }>('/v1/webhook-endpoints');
    expect(list.data).toHaveLength(1);
    const endpoint = list.data[0]!;
    expect(endpoint).toMatchObject({ url: receiver.url, events: ['credits.granted', 'credits.low'], status: 'enabled' });
    expect(endpoint.secret).toBeUndefined();
    await waitForText(page.getByTestId('endpoint-row'), new RegExp(`${receiver.url}\\s+Enabled\\s+credits.granted, credits.low\\s+Backend: credits alerts`));

    await page.reload();
    await waitForText(page.getByTestId('endpoint-row'), /Enabled/);
    expect(await page.getByTestId('endpoint-secret').count()).toBe(0);

    // The first attempt gets a 500; the retry, a quarter of a second later, a 200.
    receiver.answerNext(500);
    const customerId = uid('hook');
    await api(`/v1/customers/${customerId}`, { method: 'PUT', body: { name: 'Hook test' } });
    await grant(customerId, 25);
    const [event] = (await api<{ data: { id: string; type: string }[] }>(`/v1/events?customerId=${customerId}`)).data;
    expect(event!.type).toBe('credits.granted');

    await page.getByRole('link', { name: receiver.url }).click();
    await page.waitForURL(new RegExp(`/console/webhooks/${endpoint.id}$`));
    const rows = page.getByTestId('delivery-row');
    await until('two attempts on the page', async () => (await rows.count()) === 2);
    await waitForText(rows.nth(0), new RegExp(`${event!.id}\\s+2\\s+200\\s+\\d+ ms\\s+delivered`));
    await waitForText(rows.nth(1), new RegExp(`${event!.id}\\s+1\\s+500\\s+\\d+ ms\\s+failed`));
    expect(receiver.received).toEqual([
      { id: event!.id, type: 'credits.granted', status: 500, verified: true },
      { id: event!.id, type: 'credits.granted', status: 200, verified: true },
    ]);
    const attempts = await api<{ data: { eventId: string; attempt: number; statusCode: number; succeeded: boolean }[] }>(`/v1/webhook-endpoints/${endpoint.id}/deliveries`);
    expect(attempts.data.map((a) => [a.eventId, a.attempt, a.statusCode, a.succeeded])).toEqual([
      [event!.id, 2, 200, true],
      [event!.id, 1, 500, false],
    ]);

    await page.getByRole('button', { name: `Replay event ${event!.id}` }).first().click();
    await waitForText(page.getByTestId('action-done'), `Event ${event!.id} is on its way again.`);
    await until('the replay on the page', async () => (await rows.count()) === 3);
    await waitForText(rows.nth(0), new RegExp(`${event!.id}\\s+1\\s+200\\s+\\d+ ms\\s+delivered`));
    expect(receiver.received.map((r) => [r.id, r.status, r.verified])).toEqual([
      [event!.id, 500, true],
      [event!.id, 200, true],
      [event!.id, 200, true],
    ]);
    await fitsAt375(page, 'console-webhook-endpoint');

    await page.getByRole('button', { name: `Disable ${receiver.url}` }).click();
    await waitForText(page.getByTestId('action-done'), `Disabled ${receiver.url}.`);
    await waitForText(page.getByTestId('endpoint-status').first(), /Disabled\s+Disabled: disabled by an operator/);
    expect(await api(`/v1/webhook-endpoints/${endpoint.id}`)).toMatchObject({ status: 'disabled', disabledReason: 'disabled by an operator' });

    // A disabled endpoint gets nothing.
    await grant(customerId, 5);
    await page.waitForTimeout(1500);
    expect(receiver.received).toHaveLength(3);
    expect((await api<{ data: unknown[] }>(`/v1/webhook-endpoints/${endpoint.id}/deliveries`)).data).toHaveLength(3);

    await page.getByRole('link', { name: 'Webhooks', exact: true }).first().click();
    await waitForText(page.getByTestId('endpoint-row'), /Disabled\s+Disabled: disabled by an operator/);
    await fitsAt375(page, 'console-webhooks');

    await page.getByRole('button', { name: `Delete ${receiver.url}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete endpoint' });
    await dialog.getByRole('button', { name: 'Delete endpoint' }).click();
    await waitForText(page.getByTestId('action-done'), `Deleted ${receiver.url}.`);
    await waitForText(page.getByTestId('endpoints'), /No endpoints yet/);
    expect((await api<{ data: unknown[] }>('/v1/webhook-endpoints')).data).toEqual([]);
    await page.close();
  });

  it("lists a customer's events newest first, a page at a time, and edits its alerts", async () => {
    const customerId = uid('events');
    await api(`/v1/customers/${customerId}`, { method: 'PUT', body: { name: 'Events test' } });
    for (let i = 1; i <= 22; i++) await grant(customerId, 10 * i);
    const page = await ops.newPage();
    await page.goto(`/console/customers/${customerId}`);
    await waitForText(page.getByTestId('customer-available'), '2,530');

    const alerts = page.getByTestId('alerts');
    await waitForText(alerts.getByTestId('alerts-low'), 'Off');
    await alerts.getByRole('button', { name: 'Edit alerts' }).click();
    await alerts.getByLabel('Low-balance thresholds (credits)').fill('100, x');
    await alerts.getByRole('button', { name: 'Save alerts' }).click();
    await waitForText(alerts.getByRole('alert'), /whole numbers of credits/);
    await alerts.getByLabel('Low-balance thresholds (credits)').fill('2000, 500');
    await alerts.getByLabel('Announce expiring credits (days before)').fill('3');
    await alerts.getByRole('button', { name: 'Save alerts' }).click();
    await waitForText(alerts.getByTestId('alerts-low'), 'below 2,000, below 500');
    await waitForText(alerts.getByTestId('alerts-expiring'), '3 days before');
    expect(await api(`/v1/customers/${customerId}/alerts`)).toEqual({ lowBalance: [2000, 500], expiringSoonDays: 3 });

    await spend(customerId, 300); // 600 credits: 2,530 → 1,930, through 2,000
    await page.getByTestId('events-tab').click();
    await page.waitForURL(/\?tab=events$/);
    const rows = page.getByTestId('event-row');
    // The reservation took the balance through 2,000 (credits.low); completing it charged the credits.
    await waitForText(rows.first(), /generation\.completed[\s\S]*video completed: 600 credits charged/);
    await waitForText(rows.nth(1), /credits\.low[\s\S]*Balance fell below 2,000 credits: 1,930 credits left/);

    const newest = await api<{ data: { id: string; type: string }[]; nextCursor: string | null }>(`/v1/events?customerId=${customerId}&limit=20`);
    expect(await rows.count()).toBe(20);
    for (let i = 0; i < 20; i++) expect(await rows.nth(i).innerText()).toContain(newest.data[i]!.type);
    await waitForText(rows.nth(2), /credits\.granted[\s\S]*220 credits granted as bonus credits: Browser test/);

    await page.getByRole('button', { name: 'Load more' }).click();
    await until('the second page', async () => (await rows.count()) === 24);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    await waitForText(rows.last(), /credits\.granted[\s\S]*10 credits granted as bonus credits/);
    const all = [...newest.data, ...(await api<{ data: { id: string }[] }>(`/v1/events?customerId=${customerId}&limit=20&cursor=${newest.nextCursor}`)).data];
    expect(await rows.evaluateAll((els) => els.map((el) => el.querySelector('summary')!.textContent!.split(' · ')[1]))).toEqual(all.map((e) => e.id));

    await rows.nth(1).getByText(/^Data · /).click();
    const json = JSON.parse(await rows.nth(1).locator('pre').innerText()) as { threshold: number; balance: { available: number } };
    expect(json).toMatchObject({ threshold: 2000, balance: { available: 1930 } });

    // The tab is in the address: a reload opens it again, with the balance as it is now.
    await page.reload();
    await waitForText(page.getByTestId('customer-available'), '1,930');
    await waitForText(rows.first(), /generation\.completed/);
    expect(await rows.count()).toBe(20);
    await rows.nth(1).getByText(/^Data · /).click();
    await fitsAt375(page, 'console-events');
    await page.close();
  });
});
