import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../src/config.js';
import { seedCustomer, startTestPurse, uid, type TestPurse } from '../helpers.js';

const APP = 'https://app.example.com';
const OTHER = 'https://evil.example.net';

/**
 * CORS (PURSE_CORS_ORIGINS): a page on an allowed origin may call what a
 * customer session may call; any other origin, or any other route, gets no
 * CORS headers, so the browser refuses to hand the answer to the page.
 */
describe('CORS for the customer-session routes', () => {
  let p: TestPurse;
  let customerId: string;
  let token: string;
  let packId: string;

  beforeAll(async () => {
    p = await startTestPurse({ corsOrigins: [APP, 'http://127.0.0.1:5173'] });
    ({ customerId } = await seedCustomer(p, { credits: 40 }));
    token = (await p.call('POST', `/v1/customers/${customerId}/sessions`, {})).body.token;
    packId = uid('pack');
    await p.call('PUT', `/v1/packs/${packId}`, { name: 'Pack', credits: 100, price: { amount: 500, currency: 'usd' } });
  });
  afterAll(() => p?.close());

  const preflight = (url: string, origin: string, method: string, headers = 'authorization') =>
    p.call('OPTIONS', url, undefined, { auth: null, headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });

  it('answers an allowed origin on the balance, ledger, generations and pricing reads', async () => {
    for (const url of [`/v1/customers/${customerId}/balance`, `/v1/customers/${customerId}/ledger`, `/v1/customers/${customerId}/generations`, `/v1/customers/${customerId}/purchases`]) {
      const res = await p.call('GET', url, undefined, { auth: token, headers: { origin: APP } });
      expect(res.status, url).toBe(200);
      expect(res.headers['access-control-allow-origin'], url).toBe(APP);
      expect(String(res.headers['vary']), url).toMatch(/origin/i);
      expect(String(res.headers['access-control-expose-headers']), url).toContain('x-request-id');
    }
    const balance = await p.call('GET', `/v1/customers/${customerId}/balance`, undefined, { auth: token, headers: { origin: APP } });
    expect(balance.body.available).toBe(40);
    const pricing = await p.call('GET', '/v1/pricing', undefined, { auth: null, headers: { origin: 'http://127.0.0.1:5173' } });
    expect(pricing.headers['access-control-allow-origin']).toBe('http://127.0.0.1:5173');
  });

  it('answers the preflight of a read and of a purchase, with the headers the page sends', async () => {
    const read = await preflight(`/v1/customers/${customerId}/balance`, APP, 'GET');
    expect(read.status).toBe(204);
    expect(read.headers['access-control-allow-origin']).toBe(APP);
    expect(String(read.headers['access-control-allow-headers'])).toContain('authorization');
    expect(Number(read.headers['access-control-max-age'])).toBeGreaterThan(0);

    const buy = await preflight(`/v1/customers/${customerId}/purchases`, APP, 'POST', 'authorization,content-type,idempotency-key');
    expect(buy.status).toBe(204);
    expect(buy.headers['access-control-allow-origin']).toBe(APP);
    expect(String(buy.headers['access-control-allow-methods'])).toContain('POST');
    for (const h of ['authorization', 'content-type', 'idempotency-key']) expect(String(buy.headers['access-control-allow-headers'])).toContain(h);

    const paid = await p.call('POST', `/v1/customers/${customerId}/purchases`, { packId }, { auth: token, headers: { origin: APP, 'idempotency-key': uid('k') } });
    expect(paid.status).toBe(201);
    expect(paid.headers['access-control-allow-origin']).toBe(APP);
  });

  it('keeps the CORS headers on a refusal, so the page can read the error', async () => {
    const res = await p.call('GET', `/v1/customers/${customerId}/balance`, undefined, { auth: 'cs_not.valid', headers: { origin: APP } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    expect(res.headers['access-control-allow-origin']).toBe(APP);
  });

  it('gives another origin no CORS headers, on reads and preflights alike', async () => {
    const read = await p.call('GET', `/v1/customers/${customerId}/balance`, undefined, { auth: token, headers: { origin: OTHER } });
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await preflight(`/v1/customers/${customerId}/purchases`, OTHER, 'POST');
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect(pre.headers['access-control-allow-methods']).toBeUndefined();
    expect(pre.status).toBe(404);
    // An origin is matched whole: a prefix or a subdomain of an allowed one is another origin.
    for (const origin of [`${APP}.evil.net`, 'https://sub.app.example.com', 'http://app.example.com']) {
      const res = await p.call('GET', '/v1/pricing', undefined, { auth: null, headers: { origin } });
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });

  it('gives no CORS headers on routes a customer session may not call, even to an allowed origin', async () => {
    const grants = await preflight(`/v1/customers/${customerId}/grants`, APP, 'POST');
    expect(grants.headers['access-control-allow-origin']).toBeUndefined();
    const readGrants = await p.call('GET', `/v1/customers/${customerId}/grants`, undefined, { headers: { origin: APP } });
    expect(readGrants.status).toBe(200);
    expect(readGrants.headers['access-control-allow-origin']).toBeUndefined();
    for (const [method, url] of [
      ['PUT', `/v1/customers/${customerId}`],
      ['POST', '/v1/generations'],
      ['POST', `/v1/customers/${customerId}/sessions`],
      ['POST', '/v1/webhooks/stripe'],
      ['GET', '/healthz'],
    ] as const) {
      const res = await preflight(url, APP, method);
      expect(res.headers['access-control-allow-origin'], `${method} ${url}`).toBeUndefined();
    }
  });
});

describe('CORS off by default', () => {
  let p: TestPurse;
  beforeAll(async () => {
    p = await startTestPurse();
  });
  afterAll(() => p?.close());

  it('answers no origin when PURSE_CORS_ORIGINS is unset', async () => {
    const res = await p.call('GET', '/v1/pricing', undefined, { auth: null, headers: { origin: APP } });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await p.call('OPTIONS', '/v1/pricing', undefined, { auth: null, headers: { origin: APP, 'access-control-request-method': 'GET' } });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('shows a page that points to the console and the docs at / outside demo mode, not the studio', async () => {
    const res = await p.call('GET', '/', undefined, { auth: null });
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/html/);
    expect(res.body).toContain('href="/docs"');
    expect(res.body).not.toContain('id="root"');
    expect((await p.call('GET', '/credits', undefined, { auth: null })).status).toBe(404);
  });
});

describe('PURSE_CORS_ORIGINS', () => {
  const origins = (value?: string) => readConfig({ PURSE_PAYMENTS: 'sandbox', ...(value === undefined ? {} : { PURSE_CORS_ORIGINS: value }) }).corsOrigins;

  it('reads comma-separated origins, without trailing slashes', () => {
    expect(origins('https://app.example.com/, http://localhost:5173')).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(origins()).toEqual([]);
    // As a browser writes its Origin header.
    expect(origins('HTTPS://App.Example.com:443,http://localhost:80')).toEqual(['https://app.example.com', 'http://localhost']);
  });

  it('refuses what is not an origin, naming the setting', () => {
    for (const bad of ['app.example.com', 'https://app.example.com/path', '*', 'ftp://x.example.com', 'https://app.example.com:99999']) {
      expect(() => origins(bad), bad).toThrow(ConfigError);
      expect(() => origins(bad), bad).toThrow(/PURSE_CORS_ORIGINS/);
    }
  });
});
