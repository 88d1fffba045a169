import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, buildOnce, chromiumAvailable, horizontalOverflow, launchChromium, SCREENSHOTS, startServer, waitForText, API_KEY, type Server } from './harness.js';

/**
 * Issue 5's acceptance, in Debian's Chromium against the real built server: a
 * user spends until the credits run out, buys a pack, sees a failure refunded
 * and a billing period reset plan credits but not pack credits; an operator
 * finds the user, grants bonus credits and refunds a generation. Each step is
 * checked in the page and through the API. Then every page, at phone and
 * desktop width, must not scroll sideways, and screenshots land in docs/.
 */
const run = chromiumAvailable();

describe.skipIf(!run)('web app in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let user: BrowserContext;
  let page: Page;
  let api: ReturnType<typeof apiClient>;
  const DAY = 86_400;

  const balance = () => api(`/v1/customers/demo_user/balance`);
  const bySource = (b: { breakdown: { source: string; available: number }[] }, source: string) => b.breakdown.filter((l) => l.source === source).reduce((s, l) => s + l.available, 0);
  const headerBalance = () => page.getByTestId('header-balance');
  const ledgerLength = async () => {
    let n = 0;
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const pageOf: { data: unknown[]; nextCursor: string | null } = await api(`/v1/customers/demo_user/ledger?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      n += pageOf.data.length;
      cursor = pageOf.nextCursor;
    }
    return n;
  };

  /** Picks a tool, sets its units, generates, and waits for the outcome shown in the result card. */
  async function generate(toolId: string, units?: number): Promise<void> {
    await page.getByTestId(`tool-${toolId}`).click();
    if (units !== undefined) await page.getByLabel(/^(Seconds|Images)$/).fill(String(units));
    await page.getByTestId('generate').click();
    await page.locator('[data-testid=generation-done], [data-testid=generation-failed], [data-testid=insufficient]').first().waitFor({ timeout: 15_000 });
  }

  beforeAll(async () => {
    buildOnce();
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startServer();
    api = apiClient(server.url);
    browser = await launchChromium();
    user = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    page = await user.newPage();
    page.on('pageerror', (err) => console.error('page error:', err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the balance in the header and generates until the credits run out, then says how many are needed and offers packs', async () => {
    await page.goto('/');
    expect((await balance()).available).toBe(550);
    await waitForText(headerBalance(), '550');

    await page.getByLabel('Failure rate').selectOption('0');
    await generate('video', 100);
    await waitForText(page.getByTestId('generation-done'), /200 credits charged/);
    await waitForText(headerBalance(), '350');
    expect(await page.getByTestId('generated-picture').getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    await generate('video', 100);
    await waitForText(headerBalance(), '150');
    await generate('video', 75);
    await waitForText(headerBalance(), '0');
    expect((await balance()).available).toBe(0);

    await generate('text-to-image', 1);
    const refused = page.getByTestId('insufficient');
    await waitForText(refused, /needs 4 credits and you have 0/);
    expect(await page.getByTestId('credits-needed').innerText()).toBe('4');
    for (const pack of ['pack-100', 'pack-500', 'pack-2000']) expect(await page.getByTestId(`offer-${pack}`).isVisible()).toBe(true);

    const gens = await api<{ data: { status: string; cost: number; toolId: string }[] }>('/v1/customers/demo_user/generations');
    expect(gens.data.map((g) => [g.toolId, g.status, g.cost])).toEqual([
      ['video', 'completed', 150],
      ['video', 'completed', 200],
      ['video', 'completed', 200],
    ]);
  });

  it('buys a pack from the offer and sees the balance rise', async () => {
    await page.getByTestId('offer-pack-100').click();
    await page.waitForURL(/\/buy\?pack=pack-100$/);
    expect(await page.getByRole('radio', { name: /^100 credits/ }).isChecked()).toBe(true);
    await page.getByTestId('pay').click();
    await waitForText(page.getByTestId('purchase-done'), /100 credits added — your balance is now 100 credits/);
    await waitForText(headerBalance(), '100');

    const b = await balance();
    expect(b.available).toBe(100);
    expect(bySource(b, 'addon')).toBe(100);
    const purchases = await api<{ data: { packId: string; status: string }[] }>('/v1/customers/demo_user/purchases');
    expect(purchases.data.map((p) => [p.packId, p.status])).toEqual([['pack-100', 'paid']]);
  });

  it('sees a failed generation give its credits back', async () => {
    await page.getByRole('link', { name: 'Studio', exact: true }).click();
    await page.getByLabel('Failure rate').selectOption('1');
    await generate('text-to-image', 1);
    await waitForText(page.getByTestId('generation-failed'), /The generation failed\.\s*Its 4 credits were returned to your balance\./);
    await waitForText(headerBalance(), '100');

    const [latest] = (await api<{ data: { status: string; cost: number; failureReason: string; failureMessage: string }[] }>('/v1/customers/demo_user/generations?limit=1')).data;
    expect(latest).toMatchObject({ status: 'failed', cost: 4, failureReason: 'other', failureMessage: 'The demo generator failed' });
    expect((await balance()).available).toBe(100);

    await page.getByRole('link', { name: 'Credits', exact: true }).click();
    await waitForText(page.getByTestId('ledger-row').first(), /Text to image did not complete.*credits returned\s+\+4/s);
  });

  it('crosses a billing period with the test clock: plan credits reset, pack credits stay', async () => {
    const before = await api<{ currentPeriodEnd: string }>('/v1/customers/demo_user/subscription');
    await api('/v1/test-clock', { method: 'POST', body: { advanceSeconds: 31 * DAY } });
    const after = await api<{ currentPeriodEnd: string }>('/v1/customers/demo_user/subscription');
    expect(Date.parse(after.currentPeriodEnd)).toBeGreaterThan(Date.parse(before.currentPeriodEnd));

    const b = await balance();
    expect(bySource(b, 'plan')).toBe(500);
    expect(bySource(b, 'addon')).toBe(100);
    expect(b.available).toBe(600);

    // The page's session was minted an hour of test-clock time ago: it must mint a new one by itself.
    await page.reload();
    await waitForText(headerBalance(), '600');
    await page.getByTestId('learn-more').click();
    await waitForText(page.getByTestId('breakdown-plan'), /Plan credits[\s\S]*resets on[\s\S]*\b500$/);
    await waitForText(page.getByTestId('breakdown-addon'), /Add-on credits\s+Never expire\s+100$/);
    const resetDate = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(after.currentPeriodEnd));
    expect(await page.getByTestId('breakdown-plan').innerText()).toContain(resetDate);

    // One more picture on the new plan credits, for the operator to refund.
    await page.getByRole('link', { name: 'Studio', exact: true }).click();
    await page.getByLabel('Failure rate').selectOption('0');
    await generate('text-to-image', 1);
    await waitForText(page.getByTestId('generation-done'), /4 credits charged/);
    await waitForText(headerBalance(), '596');
  });

  it('lets an operator sign in with the key, find the user, grant bonus credits, refund a generation, change the plan and void a grant, each with a reason', async () => {
    const ops = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    const console_ = await ops.newPage();
    await console_.goto('/console');
    await console_.getByLabel('Secret API key').fill('sk_wrong');
    await console_.getByRole('button', { name: 'Sign in' }).click();
    await waitForText(console_.getByRole('alert'), /not accepted/);
    await console_.getByLabel('Secret API key').fill(API_KEY);
    await console_.getByRole('button', { name: 'Sign in' }).click();

    await console_.getByLabel('Search customers').fill('demo@example.com');
    await console_.getByRole('button', { name: 'Search', exact: true }).click();
    await waitForText(console_.getByTestId('customer-row').first(), /demo_user\s+Demo User\s+demo@example.com/);
    expect(await console_.getByTestId('customer-row').count()).toBe(1);
    await console_.getByRole('link', { name: 'demo_user' }).click();
    await waitForText(console_.getByTestId('customer-available'), '596');

    // Grant: the reason is required.
    await console_.getByTestId('grant-open').click();
    const dialog = console_.getByRole('dialog', { name: 'Grant bonus credits' });
    await dialog.getByLabel('Amount').fill('25');
    await dialog.getByRole('button', { name: 'Grant credits' }).click();
    await waitForText(dialog.getByRole('alert'), 'Please give a reason.');
    await dialog.getByLabel('Reason (required)').fill('Sorry for the outage on Tuesday');
    await dialog.getByRole('button', { name: 'Grant credits' }).click();
    await waitForText(console_.getByTestId('action-done'), /Granted 25 credits to demo_user/);
    await waitForText(console_.getByTestId('customer-available'), '621');
    await waitForText(console_.getByTestId('grants'), /Bonus credits\s+25\s+25\s+Never\s+Sorry for the outage on Tuesday/);

    const grants = await api<{ data: { source: string; amount: number; remaining: number; reason: string }[] }>('/v1/customers/demo_user/grants');
    expect(grants.data.filter((g) => g.reason === 'Sorry for the outage on Tuesday')).toEqual([expect.objectContaining({ source: 'bonus', amount: 25, remaining: 25 })]);
    expect((await balance()).available).toBe(621);

    // Refund the picture made after the reset.
    const [latest] = (await api<{ data: { id: string; status: string; charged: number }[] }>('/v1/customers/demo_user/generations?limit=1')).data;
    expect(latest).toMatchObject({ status: 'completed', charged: 4 });
    await console_.getByTestId(`refund-${latest!.id}`).click();
    const refund = console_.getByRole('dialog', { name: 'Refund generation' });
    await refund.getByLabel('Reason (required)').fill('The picture came out blank');
    await refund.getByRole('button', { name: 'Refund 4 credits' }).click();
    await waitForText(console_.getByTestId('action-done'), new RegExp(`Refunded 4 credits for generation ${latest!.id}`));
    await waitForText(console_.getByTestId('customer-available'), '625');
    expect(await console_.getByTestId(`refund-${latest!.id}`).count()).toBe(0);

    const refunded = await api<{ status: string; refunded: number }>(`/v1/generations/${latest!.id}`);
    expect(refunded).toMatchObject({ status: 'completed', refunded: 4 });
    expect((await balance()).available).toBe(625);
    await waitForText(console_.getByTestId('ledger-row').first(), /Text to image refunded: The picture came out blank/);

    // The user's header follows (it polls).
    await waitForText(headerBalance(), '625', 15_000);

    // Change the plan, with a reason: an upgrade starts a Studio period now.
    await console_.getByRole('button', { name: 'Change plan' }).click();
    const change = console_.getByRole('dialog', { name: 'Change plan' });
    await change.getByLabel('New plan').selectOption('studio');
    await change.getByLabel('Reason (required)').fill('Upgraded on request, ticket 4411');
    await change.getByRole('button', { name: 'Change plan' }).click();
    await waitForText(console_.getByTestId('action-done'), /Plan change for demo_user: Studio \(upgraded\)/);
    await waitForText(console_.getByTestId('subscription'), /Plan\s+Studio[\s\S]*Reason for the last change: Upgraded on request, ticket 4411/);
    const sub = await api<{ planId: string; changeReason: string }>('/v1/customers/demo_user/subscription');
    expect(sub).toMatchObject({ planId: 'studio', changeReason: 'Upgraded on request, ticket 4411' });
    const expired = (await api<{ data: { type: string; reason: string | null }[] }>('/v1/customers/demo_user/ledger?limit=20')).data.find((e) => e.type === 'expire');
    expect(expired?.reason).toBe('upgraded to studio: Upgraded on request, ticket 4411');
    expect(bySource(await balance(), 'plan')).toBe(2000);

    // Void what is left of the bonus grant, with a reason.
    await console_.getByRole('button', { name: /^Void bonus credits grant of 25, 25 left/ }).click();
    const voiding = console_.getByRole('dialog', { name: 'Void grant' });
    await voiding.getByLabel('Reason (required)').fill('Granted to the wrong account');
    await voiding.getByRole('button', { name: 'Void 25 credits' }).click();
    await waitForText(console_.getByTestId('action-done'), /Voided the grant: 25 credits taken back/);
    const voided = (await api<{ data: { reason: string; remaining: number; voidedAt: string | null }[] }>('/v1/customers/demo_user/grants')).data.find((g) => g.reason.startsWith('Sorry for the outage on Tuesday'));
    expect(voided).toMatchObject({ remaining: 0, voidedAt: expect.any(String), reason: 'Sorry for the outage on Tuesday; voided: Granted to the wrong account' });
    await waitForText(console_.getByTestId('grants'), /voided: Granted to the wrong account\s+Dec \d+, 2026\s+voided/);
    expect(bySource(await balance(), 'bonus')).toBe(0);

    // The ledger pages: 20 entries, then "Load more" brings the rest.
    const total = await ledgerLength();
    expect(total).toBeGreaterThan(20);
    const rows = console_.getByTestId('ledger').getByTestId('ledger-row');
    await waitForText(rows.nth(19), /\S/);
    expect(await rows.count()).toBe(20);
    await console_.getByRole('button', { name: 'Load more' }).click();
    await waitForText(rows.nth(total - 1), /\S/);
    expect(await rows.count()).toBe(total);
    await ops.close();
  });

  it('exports a report table as CSV', async () => {
    const ops = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    await ops.addInitScript(`sessionStorage.setItem('purse.console.key', ${JSON.stringify(API_KEY)})`);
    const p = await ops.newPage();
    await p.goto('/console/reports');
    await p.getByTestId('report-range').selectOption('90');
    await waitForText(p.getByTestId('report-spend'), /Video/);
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Export Spend per tool as CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('Tool,Generations,Charged,Refunded,Net');
    expect(csv).toContain('Video,3,550,0,550');
    expect(csv).toContain('Text to image,2,4,4,0');
    // The books in money: the pack the user bought is paid in, in the catalog's currency, and balances.
    await waitForText(p.getByTestId('revenue-deferred'), /\$/);
    const [money] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: /^Export Revenue per day, USD/ }).click()]);
    const lines = readFileSync((await money.path())!, 'utf8').trim().split('\r\n');
    expect(lines[0]).toBe('Date,Paid in,Revenue,Reversed,Refunds,Breakage,Deferred');
    const report = await api<{ totals: { paidIn: number; revenue: number; refunds: number; breakage: number; deferred: number }; openingDeferred: number }>('/v1/reports/revenue?currency=usd&from=2000-01-01T00:00:00Z&to=2001-01-01T00:00:00Z');
    expect(report.totals.paidIn).toBe(0);
    const all = await api<{ totals: { paidIn: number; revenue: number; refunds: number; breakage: number; deferred: number }; openingDeferred: number }>('/v1/reports/revenue?currency=usd');
    expect(all.totals.paidIn).toBeGreaterThan(0);
    expect(all.totals.deferred).toBe(all.openingDeferred + all.totals.paidIn - all.totals.revenue - all.totals.refunds - all.totals.breakage);
    await ops.close();
  });

  it('edits a tool price in place in the catalog and shows its price history', async () => {
    const ops = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    await ops.addInitScript(`sessionStorage.setItem('purse.console.key', ${JSON.stringify(API_KEY)})`);
    const p = await ops.newPage();
    await p.goto('/console/catalog');
    await p.getByRole('button', { name: 'Edit tool text-to-image' }).click();
    const form = p.getByRole('form', { name: 'Edit tool text-to-image' });
    await form.getByLabel('Credits', { exact: true }).fill('5');
    await form.getByRole('button', { name: 'Save' }).click();
    await waitForText(p.getByTestId('tool-text-to-image'), /Text to image\s+5 credits per image/);

    const tools = await api<{ data: { id: string; credits: number }[] }>('/v1/tools');
    expect(tools.data.find((t) => t.id === 'text-to-image')?.credits).toBe(5);
    const prices = await api<{ data: { credits: number }[] }>('/v1/tools/text-to-image/prices');
    expect(prices.data.map((x) => x.credits).sort()).toEqual([4, 5]);

    await p.getByTestId('tool-text-to-image').getByRole('button', { name: 'Price history' }).click();
    const history = p.getByRole('region', { name: 'Price history of text-to-image' });
    await waitForText(history, /5\s+image[\s\S]*4\s+image|4\s+image[\s\S]*5\s+image/);

    // Back to the demo price, for the screenshots.
    await api('/v1/tools/text-to-image', { method: 'PUT', body: { name: 'Text to image', credits: 4, unit: 'image', description: 'One picture from a prompt.' } });
    await ops.close();
  });

  it('can be used from the keyboard, with the focus always visible', async () => {
    await page.goto('/');
    await page.getByTestId('tool-video').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    const outline = async () => page.evaluate('getComputedStyle(document.activeElement).outlineStyle + " " + getComputedStyle(document.activeElement).outlineWidth');
    expect(await outline()).toBe('solid 3px');
    // Tab to the first tool and choose it with the space bar.
    for (let i = 0; i < 12 && !(await page.evaluate('document.activeElement.dataset.testid === "tool-background-removal"')); i++) await page.keyboard.press('Tab');
    expect(await outline()).toBe('solid 3px');
    await page.keyboard.press('Space');
    expect(await page.getByTestId('tool-background-removal').getAttribute('aria-pressed')).toBe('true');
  });

  it('loads the studio, the console and the API docs under the Content-Security-Policy without a violation', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    await ctx.addInitScript(`sessionStorage.setItem('purse.console.key', ${JSON.stringify(API_KEY)})`);
    await ctx.addInitScript(`window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI))`);
    const p = await ctx.newPage();
    const seen: string[] = [];
    for (const [path, ready] of [
      ['/', '[data-testid=tool-avatar]'],
      ['/console/customers/demo_user', '[data-testid=ledger-row]'],
      ['/docs', '.swagger-ui .opblock'],
    ] as const) {
      const res = await p.goto(path);
      expect(res?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
      await p.locator(ready).first().waitFor({ timeout: 15_000 });
      seen.push(...(await p.evaluate('window.__violations') as string[]).map((v) => `${path}: ${v}`));
    }
    await ctx.close();
    expect(seen).toEqual([]);
  });

  it('fits every page at 375 px and 1280 px without sideways scrolling, cut-off tables or unreadable chart labels, and takes screenshots', async () => {
    const pages: { path: string; name: string; console?: boolean; ready: string; before?: (p: Page) => Promise<void> }[] = [
      { path: '/', name: 'studio', ready: 'tool-avatar', before: async (p) => {
        await p.getByTestId('tool-avatar').click();
        await p.getByTestId('generate').click();
        await p.getByTestId('generated-picture').waitFor();
      } },
      { path: '/credits', name: 'credits', ready: 'ledger-row', before: async (p) => p.getByTestId('learn-more').click() },
      { path: '/pricing', name: 'pricing', ready: 'plans' },
      { path: '/buy', name: 'buy', ready: 'pay' },
      { path: '/console', name: 'console-login', ready: 'none' },
      { path: '/console', name: 'console-customers', console: true, ready: 'customer-row' },
      { path: '/console/customers/demo_user', name: 'console-customer', console: true, ready: 'ledger-row' },
      { path: '/console/catalog', name: 'console-catalog', console: true, ready: 'tool-video' },
      { path: '/console/test-clock', name: 'console-test-clock', console: true, ready: 'test-clock-now' },
      { path: '/console/reports', name: 'console-reports', console: true, ready: 'report-days', before: async (p) => {
        await p.getByTestId('report-range').selectOption('90');
        await waitForText(p.getByTestId('report-spend'), /Video/);
      } },
    ];
    const overflow: string[] = [];
    for (const width of [375, 1280]) {
      for (const spec of pages) {
        const ctx = await browser.newContext({ viewport: { width, height: 900 }, baseURL: server.url });
        if (spec.console) await ctx.addInitScript(`sessionStorage.setItem('purse.console.key', ${JSON.stringify(API_KEY)})`);
        await ctx.addInitScript(`localStorage.setItem('purse.demo.failureRate', '0')`);
        const p = await ctx.newPage();
        await p.goto(spec.path);
        if (spec.ready === 'none') await p.getByLabel('Secret API key').waitFor();
        else await p.getByTestId(spec.ready).first().waitFor({ timeout: 15_000 });
        await spec.before?.(p);
        await p.evaluate('document.fonts.ready.then(() => true)');
        const extra = await horizontalOverflow(p);
        if (extra > 0) overflow.push(`${spec.path} (${spec.name}) at ${width} px is ${extra} px too wide`);
        // On a phone no table cuts a column off (each row is a card), and chart labels keep a readable size.
        const clipped = (await p.evaluate(`[...document.querySelectorAll('.table-scroll')].filter((e) => e.scrollWidth > e.clientWidth + 1).length`)) as number;
        if (width === 375 && clipped > 0) overflow.push(`${spec.path} (${spec.name}) at ${width} px cuts off ${clipped} table(s)`);
        const label = (await p.evaluate(`Math.min(99, ...[...document.querySelectorAll('.chart svg text')].map((t) => t.getBoundingClientRect().height))`)) as number;
        if (label < 10) overflow.push(`${spec.path} (${spec.name}) at ${width} px draws chart labels ${label.toFixed(1)} px high`);
        const cut = (await p.evaluate(
          `[...document.querySelectorAll('.chart svg text')].filter((t) => { const r = t.getBoundingClientRect(), s = t.ownerSVGElement.getBoundingClientRect(); return r.left < s.left - 0.5 || r.right > s.right + 0.5; }).length`,
        )) as number;
        if (cut > 0) overflow.push(`${spec.path} (${spec.name}) at ${width} px cuts off ${cut} chart label(s)`);
        await p.evaluate('window.scrollTo(0, 0)');
        await p.screenshot({ path: join(SCREENSHOTS, `${spec.name}${width === 375 ? '-phone' : ''}.png`), fullPage: true });
        await ctx.close();
      }
    }
    expect(overflow).toEqual([]);
  });
});
