import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPurse } from '../../src/server.js';
import { mintSession, MAX_SESSION_SECONDS } from '../../src/service/auth.js';
import { seedCustomer, startTestPurse, testConfig, testDatabase, TEST_API_KEY, uid, type TestPurse } from '../helpers.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Issue 10, "Safe in production": each fault found in review, guarded here on both stores.

let p: TestPurse;
beforeAll(async () => {
  p = await startTestPurse();
});
afterAll(async () => p.close());

/** A call straight to this process's app (not spread over server processes): for what is per process, like the rate limit. */
async function inject(purse: TestPurse, method: string, url: string, opts: { auth?: string | null; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const auth = opts.auth === undefined ? TEST_API_KEY : opts.auth;
  if (auth !== null) headers.authorization = `Bearer ${auth}`;
  const res = await purse.app.inject({ method: method as 'GET', url, headers, ...(opts.body === undefined ? {} : { payload: opts.body as string }) });
  let body: any = res.body;
  try {
    body = JSON.parse(res.body);
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, body, headers: res.headers };
}

async function session(purse: TestPurse, customerId: string): Promise<string> {
  const res = await purse.call('POST', `/v1/customers/${customerId}/sessions`, {});
  expect(res.status).toBe(201);
  return res.body.token;
}

function expectError(res: { status: number; body: any }, status: number, code: string, field?: string) {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ error: { code, message: expect.any(String) }, requestId: expect.any(String) });
  if (field !== undefined) expect(res.body.error.details?.field).toBe(field);
}

describe('demo routes (item 3)', () => {
  let demo: TestPurse;
  beforeAll(async () => {
    demo = await startTestPurse({ demo: true });
  });
  afterAll(async () => demo.close());

  it("serve only the demo customer's session: another customer's session cannot settle its own backend's generation", async () => {
    const { customerId, toolId } = await seedCustomer(demo, { credits: 50, toolCredits: 5 });
    const reserved = await demo.call('POST', '/v1/generations', { customerId, toolId });
    expect(reserved.status).toBe(201);
    const token = await session(demo, customerId);
    expectError(await demo.call('POST', `/demo/generations/${reserved.body.id}/complete`, { units: 1 }, { auth: token }), 403, 'forbidden');
    expectError(await demo.call('POST', `/demo/generations/${reserved.body.id}/complete`, {}, { auth: token }), 403, 'forbidden');
    expectError(await demo.call('POST', '/demo/generations', { toolId }, { auth: token }), 403, 'forbidden');
    expect((await demo.call('GET', `/v1/generations/${reserved.body.id}`)).body).toMatchObject({ status: 'reserved', charged: 0 });
    expect((await demo.call('GET', `/v1/customers/${customerId}/balance`)).body).toMatchObject({ available: 45, reserved: 5 });
  });

  it("still serve the demo customer's own session, and refuse completing with 0 units", async () => {
    const token = (await demo.call('POST', '/demo/session', {}, { auth: null })).body.token;
    const reserved = await demo.call('POST', '/demo/generations', { toolId: 'text-to-image' }, { auth: token });
    expect(reserved.status).toBe(201);
    expectError(await demo.call('POST', `/demo/generations/${reserved.body.id}/complete`, { units: 0 }, { auth: token }), 400, 'invalid_request', 'units');
    const done = await demo.call('POST', `/demo/generations/${reserved.body.id}/complete`, {}, { auth: token });
    expect(done.body).toMatchObject({ status: 'completed', charged: reserved.body.cost });
  });

  it('do not exist outside demo mode', async () => {
    expectError(await p.call('POST', '/demo/session', {}, { auth: null }), 404, 'not_found');
    expectError(await p.call('POST', '/demo/generations', { toolId: 'x' }), 404, 'not_found');
  });
});

describe('completing with 0 units (item 3)', () => {
  it('is refused on the public route too (400, field units) and changes nothing', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 10, toolCredits: 3 });
    const reserved = await p.call('POST', '/v1/generations', { customerId, toolId, units: 2 });
    expectError(await p.call('POST', `/v1/generations/${reserved.body.id}/complete`, { units: 0 }), 400, 'invalid_request', 'units');
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body).toMatchObject({ available: 4, reserved: 6 });
    expect((await p.call('POST', `/v1/generations/${reserved.body.id}/fail`, { reason: 'made nothing' })).body).toMatchObject({ status: 'failed' });
  });
});

describe('prices (item 5)', () => {
  it('refuses a pack priced 0 (field price.amount) but takes a plan priced 0', async () => {
    const pack = uid('pack');
    expectError(await p.call('PUT', `/v1/packs/${pack}`, { name: 'Free', credits: 100, price: { amount: 0, currency: 'usd' } }), 400, 'invalid_request', 'price.amount');
    expect((await p.call('GET', '/v1/packs')).body.data.map((x: any) => x.id)).not.toContain(pack);
    expect((await p.call('PUT', `/v1/packs/${pack}`, { name: 'Cheap', credits: 100, price: { amount: 1, currency: 'usd' } })).status).toBe(201);
    expect((await p.call('PUT', `/v1/plans/${uid('plan')}`, { name: 'Free plan', creditsPerPeriod: 10, price: { amount: 0, currency: 'usd' } })).status).toBe(201);
  });
});

describe('customer sessions (item 8)', () => {
  it('refuses a token whose expiry is further away than the longest a session may live', async () => {
    const { customerId } = await seedCustomer(p);
    const secret = { sessionSecret: Buffer.from(testConfig().sessionSecret!, 'utf8') };
    const now = p.ctx.clock.now();
    const fine = mintSession(secret, customerId, now, MAX_SESSION_SECONDS);
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`, undefined, { auth: fine.token })).status).toBe(200);
    const forever = mintSession(secret, customerId, now, 10 * 365 * 86_400);
    expectError(await p.call('GET', `/v1/customers/${customerId}/balance`, undefined, { auth: forever.token }), 401, 'unauthorized');
  });
});

describe('deeply nested JSON (item 9)', () => {
  const deep = '['.repeat(30_000) + ']'.repeat(30_000);
  it('answers 400 on any path, never 500', async () => {
    for (const [method, url, auth] of [
      ['POST', '/nowhere', null],
      ['POST', '/healthz', null],
      ['POST', '/v1/generations', null],
      ['POST', '/v1/generations', TEST_API_KEY],
      ['PUT', `/v1/customers/${uid('cus')}`, TEST_API_KEY],
    ] as const) {
      const res = await inject(p, method, url, { auth, body: deep, headers: { 'content-type': 'application/json' } });
      expect(res.status, `${method} ${url}`).toBeLessThan(500);
      expect(res.body.error.code, `${method} ${url}`).toBe(auth === null && url.startsWith('/v1/') ? 'unauthorized' : 'invalid_request');
    }
  });
  it('still finds a NUL character in a nested field', async () => {
    const res = await p.call('PUT', `/v1/customers/${uid('cus')}`, { metadata: { a: 'x\u0000y' } });
    expectError(res, 400, 'invalid_request', 'metadata.a');
  });
});

describe('security headers (item 10)', () => {
  it('are sent on the API, the web app and the docs', async () => {
    for (const url of ['/v1/pricing', '/', '/docs/']) {
      const res = await inject(p, 'GET', url, { auth: null });
      expect(res.status, url).toBeLessThan(400);
      expect(String(res.headers['content-security-policy']), url).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
    }
  });
});

describe('rate limit on customer sessions (item 11)', () => {
  let limited: TestPurse;
  beforeAll(async () => {
    limited = await startTestPurse({ sessionWritesPerMinute: 3 });
  });
  afterAll(async () => limited.close());

  it("limits one customer's session writes, with 429 rate_limited, and never a secret key", async () => {
    const { customerId } = await seedCustomer(limited);
    const other = (await seedCustomer(limited)).customerId;
    const pack = uid('pack');
    await limited.call('PUT', `/v1/packs/${pack}`, { name: 'Pack', credits: 10, price: { amount: 100, currency: 'usd' } });
    const token = await session(limited, customerId);
    const buy = (c: string, auth: string) => inject(limited, 'POST', `/v1/customers/${c}/purchases`, { auth, body: JSON.stringify({ packId: pack }), headers: { 'content-type': 'application/json' } });
    for (let i = 0; i < 3; i++) expect((await buy(customerId, token)).status).toBe(201);
    const refused = await buy(customerId, token);
    expectError(refused, 429, 'rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Reads are not limited; another customer has its own budget; a secret key is not limited at all.
    expect((await inject(limited, 'GET', `/v1/customers/${customerId}/balance`, { auth: token })).status).toBe(200);
    expect((await buy(other, await session(limited, other))).status).toBe(201);
    for (let i = 0; i < 5; i++) expect((await buy(customerId, TEST_API_KEY)).status).toBe(201);
    expect((await limited.call('GET', `/v1/customers/${customerId}/balance`)).body.available).toBe(80);
  });
});

describe('/metrics (item 12)', () => {
  it('needs a secret key', async () => {
    expectError(await inject(p, 'GET', '/metrics', { auth: null }), 401, 'unauthorized');
    const { customerId } = await seedCustomer(p);
    expectError(await inject(p, 'GET', '/metrics', { auth: await session(p, customerId) }), 403, 'forbidden');
    const res = await inject(p, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.body).toContain('purse_http_request_duration_seconds');
  });
});

describe('/readyz (item 13)', () => {
  it('answers 200 while the store answers, 503 when it cannot be reached; /healthz stays up', async () => {
    expect((await inject(p, 'GET', '/readyz', { auth: null })).body).toEqual({ ok: true, store: p.ctx.store.kind });
    const dir = mkdtempSync(join(tmpdir(), 'purse-readyz-'));
    const db = await testDatabase(dir);
    const purse = await createPurse(testConfig({ databaseUrl: db.url }));
    try {
      expect((await purse.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      await purse.ctx.store.close();
      const down = await purse.app.inject({ method: 'GET', url: '/readyz' });
      expectError({ status: down.statusCode, body: JSON.parse(down.body) }, 503, 'unavailable');
      expect((await purse.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await purse.close().catch(() => {});
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('errors in the contract shape (item 14)', () => {
  it('takes ids of up to 128 characters in paths, and answers longer ones and bad URLs with 400', async () => {
    const long = 'c'.repeat(128);
    expect((await p.call('PUT', `/v1/customers/${long}`, { name: 'Long' })).status).toBeLessThan(300);
    expect((await p.call('GET', `/v1/customers/${long}/balance`)).status).toBe(200);
    expect((await p.call('GET', `/v1/generations/${'g'.repeat(128)}`)).body.error.code).toBe('not_found');
    expectError(await p.call('GET', `/v1/customers/${'c'.repeat(129)}`), 400, 'invalid_request');
    expectError(await p.call('GET', `/v1/customers/${'c'.repeat(1000)}`), 400, 'invalid_request');
    expectError(await inject(p, 'GET', '/v1/customers/%E0%A4%A/balance'), 400, 'invalid_request');
  });

  it('refuses generation and purchase cursors that do not decode (400, field cursor)', async () => {
    const { customerId } = await seedCustomer(p);
    for (const list of ['generations', 'purchases', 'ledger']) {
      expectError(await p.call('GET', `/v1/customers/${customerId}/${list}?cursor=garbage`), 400, 'invalid_request', 'cursor');
      expect((await p.call('GET', `/v1/customers/${customerId}/${list}`)).status).toBe(200);
    }
  });
});
