import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { spawnPurse, type PurseProcess } from '../process.js';
import { API_KEY, apiClient, buildOnce, chromiumAvailable, horizontalOverflow, launchChromium, ROOT, SCREENSHOTS, waitForText } from './harness.js';

/**
 * Issue 13's front end for real customers, in Chromium: an app on its own
 * origin (served here on a second port) gets a customer session from its
 * backend and renders Purse's React components, which call Purse directly;
 * a page on an origin Purse does not list is refused by the browser. And
 * outside demo mode, `/` is a page pointing to the console and the docs.
 */
const run = chromiumAvailable();

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/**
 * The example app (packages/react/example, built): its files, and its backend's
 * one route, `POST /session`, which mints a session of `customerId` with the secret key.
 */
async function startApp(dist: string, purse: () => string, customerId: string): Promise<{ origin: string; server: HttpServer }> {
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method === 'POST' && req.url === '/session') {
        const minted = await fetch(`${purse()}/v1/customers/${customerId}/sessions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ttlSeconds: 600 }),
        });
        res.writeHead(minted.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ purseUrl: purse(), session: await minted.json() }));
        return;
      }
      const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!)).replace(/^(\.\.[/\\])+/, '');
      const file = join(dist, path === '/' ? 'index.html' : path);
      try {
        const body = readFileSync(file);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    })().catch((err: Error) => res.writeHead(500).end(err.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe.skipIf(!run)('Purse components on another origin, and / outside demo mode', () => {
  let dir: string;
  let purse: PurseProcess;
  let plain: PurseProcess;
  let allowed: { origin: string; server: HttpServer };
  let other: { origin: string; server: HttpServer };
  let browser: Browser;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    buildOnce();
    mkdirSync(SCREENSHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'purse-embed-'));
    const { build } = await import('vite');
    await build({
      root: join(ROOT, 'packages', 'react', 'example'),
      configFile: false,
      logLevel: 'warn',
      mode: 'production',
      oxc: { jsx: { runtime: 'automatic' } },
      build: { outDir: join(dir, 'app'), emptyOutDir: true },
    });
    let purseUrl = '';
    allowed = await startApp(join(dir, 'app'), () => purseUrl, 'demo_user');
    other = await startApp(join(dir, 'app'), () => purseUrl, 'demo_user');
    purse = await spawnPurse(
      {
        PURSE_DATABASE_URL: `sqlite:${join(dir, 'purse.db')}`,
        PURSE_DEMO: '1',
        PURSE_API_KEY: API_KEY,
        PURSE_SESSION_SECRET: 'embed-test-session-secret-of-32-bytes',
        PURSE_PAYMENTS: 'sandbox',
        PURSE_CORS_ORIGINS: allowed.origin,
      },
      { built: true },
    );
    purseUrl = purse.url;
    plain = await spawnPurse({ PURSE_DATABASE_URL: `sqlite:${join(dir, 'plain.db')}`, PURSE_DEMO: '0', PURSE_API_KEY: API_KEY, PURSE_PAYMENTS: 'sandbox' }, { built: true });
    api = apiClient(purse.url);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await purse?.stop();
    await plain?.stop();
    for (const app of [allowed, other]) await new Promise((r) => app?.server.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(origin: string, width = 1280): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await ctx.newPage();
    page.on('pageerror', (err) => console.error('page error:', err.message));
    await page.goto(`${origin}/`);
    return page;
  }

  it('reads the balance with a session from a page on an allowed origin, renders the components and buys a pack', async () => {
    expect(allowed.origin).not.toBe(new URL(purse.url).origin);
    const page = await open(allowed.origin);
    await waitForText(page.getByTestId('header-balance'), '550');
    await waitForText(page.getByTestId('credits-balance'), /^550\s+credits$/);
    await page.getByTestId('learn-more').click();
    await waitForText(page.getByTestId('breakdown-plan'), /Plan credits[\s\S]*Pro plan · resets on[\s\S]*\b500$/);
    await waitForText(page.getByTestId('breakdown-bonus'), /Bonus credits[\s\S]*\b50$/);
    await waitForText(page.getByTestId('ledger-row').first(), /\S/);
    await waitForText(page.getByTestId('plan-pro'), /Pro[\s\S]*Your plan/);
    await waitForText(page.getByTestId('tool-costs'), /Text to image/);

    await page.getByTestId('buy-pack-100').click();
    await waitForText(page.getByTestId('bought'), '100 credits added; balance 650');
    await waitForText(page.getByTestId('header-balance'), '650');
    await waitForText(page.getByTestId('breakdown-addon'), /Add-on credits\s+Never expire\s+100$/);
    await waitForText(page.getByTestId('ledger-row').first(), /Pack purchased[\s\S]*\+100/);

    const balance = await api<{ available: number; breakdown: { source: string; available: number }[] }>('/v1/customers/demo_user/balance');
    expect(balance.available).toBe(650);
    const purchases = await api<{ data: { packId: string; status: string }[] }>('/v1/customers/demo_user/purchases');
    expect(purchases.data.map((p) => [p.packId, p.status])).toEqual([['pack-100', 'paid']]);

    expect(await horizontalOverflow(page)).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'components.png'), fullPage: true });
    await page.context().close();
  });

  it('refuses a page on an origin Purse does not list: the browser gives it nothing', async () => {
    const page = await open(other.origin);
    await waitForText(page.getByTestId('header-balance'), '—');
    const token = await page.evaluate(async () => ((await (await fetch('/session', { method: 'POST' })).json()) as { session: { token: string } }).session.token);
    const outcome = await page.evaluate(
      async ([url, t]) => {
        try {
          const res = await fetch(`${url}/v1/customers/demo_user/balance`, { headers: { authorization: `Bearer ${t}` } });
          return `answered ${res.status}`;
        } catch (err) {
          return `refused: ${(err as Error).name}`;
        }
      },
      [purse.url, token] as const,
    );
    expect(outcome).toBe('refused: TypeError');
    // The same token is good: only the origin is refused.
    const direct = await fetch(`${purse.url}/v1/customers/demo_user/balance`, { headers: { authorization: `Bearer ${token}` } });
    expect(direct.status).toBe(200);
    expect(await page.getByTestId('buy-pack-100').count()).toBe(0);
    await page.context().close();
  });

  it('shows, outside demo mode, a page at / that points to the console and the docs, within the Content-Security-Policy', async () => {
    const ctx = await browser.newContext({ viewport: { width: 375, height: 800 }, baseURL: plain.url });
    await ctx.addInitScript(`window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective))`);
    const page = await ctx.newPage();
    await page.goto('/');
    expect(await page.getByTestId('landing-console').getAttribute('href')).toBe('/console');
    expect(await page.evaluate('window.__violations')).toEqual([]);
    expect(await page.getByTestId('landing-docs').getAttribute('href')).toBe('/docs');
    expect(await page.locator('#root').count()).toBe(0);
    expect(await horizontalOverflow(page)).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'landing-phone.png'), fullPage: true });
    await page.getByTestId('landing-console').click();
    await page.getByLabel('Secret API key').waitFor();
    expect((await page.goto('/credits'))?.status()).toBe(404);
    await ctx.close();
  });
});
