import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/service/auth.js';
import { seedCustomer, startTestPurse, uid, type TestPurse } from '../helpers.js';

/*
 * Every route the API document lists, tried without a key, with a malformed
 * header, a wrong key, a revoked key, an expired or tampered session and another
 * customer's session: each is refused and nothing changes.
 */

const PUBLIC = new Set(['GET /healthz', 'GET /readyz', 'GET /v1/pricing']);
/** What a customer's own session may do (PRODUCT.md: read balance, ledger, generations, pricing; buy packs). */
const SESSION_MAY = new Set([
  'GET /v1/customers/{customerId}/balance',
  'GET /v1/customers/{customerId}/ledger',
  'GET /v1/customers/{customerId}/generations',
  'GET /v1/customers/{customerId}/limits',
  'GET /v1/generations/{id}',
  'POST /v1/customers/{customerId}/purchases',
  'GET /v1/customers/{customerId}/purchases',
  'GET /v1/purchases/{purchaseId}',
  // The credits page shows the customer's auto top-up (issue 14); setting it takes a secret key.
  'GET /v1/customers/{customerId}/auto-top-up',
  // A team's own session reads its members and their usage (issue 15); managing them takes a secret key.
  'GET /v1/customers/{customerId}/members',
  'GET /v1/customers/{customerId}/members/{memberId}',
]);

let p: TestPurse;
let routes: { method: string; path: string }[];
const ids: Record<string, string> = {};
let sessionA: string;
let sessionB: string;
let revokedKey: string;
let expiredSession: string;

async function snapshotOf(customerId: string) {
  const balance = (await p.call('GET', `/v1/customers/${customerId}/balance`)).body;
  const ledger = (await p.call('GET', `/v1/customers/${customerId}/ledger?limit=100`)).body.data.length;
  const generations = (await p.call('GET', `/v1/customers/${customerId}/generations?limit=100`)).body.data;
  return { available: balance.available, reserved: balance.reserved, ledger, generations };
}

function fill(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? 'x');
}

function bodyFor(method: string, path: string): unknown {
  if (method === 'GET' || method === 'DELETE') return undefined;
  if (path === '/v1/generations') return { customerId: ids.customerId, toolId: ids.toolId };
  if (path.endsWith('/purchases')) return { packId: ids.packId };
  if (path.endsWith('/grants')) return { amount: 5, source: 'bonus', reason: 'x' };
  if (path.endsWith('/void') || path.endsWith('/refund')) return { reason: 'x' };
  if (path.endsWith('/extend')) return { holdSeconds: 60 };
  if (path.endsWith('/subscription')) return { planId: ids.planId };
  if (path === '/v1/test-clock') return { advanceSeconds: 1 };
  if (path.startsWith('/v1/tools/')) return { name: 'T', credits: 1 };
  if (path.startsWith('/v1/plans/')) return { name: 'P', creditsPerPeriod: 1, price: { amount: 1, currency: 'usd' } };
  if (path.startsWith('/v1/packs/')) return { name: 'K', credits: 1, price: { amount: 1, currency: 'usd' } };
  return {};
}

beforeAll(async () => {
  p = await startTestPurse();
  const a = await seedCustomer(p, { credits: 100, toolCredits: 2 });
  const b = await seedCustomer(p, { credits: 100, toolCredits: 2 });
  ids.customerId = a.customerId;
  ids.toolId = a.toolId;
  ids.planId = uid('plan');
  ids.packId = uid('pack');
  await p.call('PUT', `/v1/plans/${ids.planId}`, { name: 'P', creditsPerPeriod: 10, price: { amount: 100, currency: 'usd' } });
  await p.call('PUT', `/v1/packs/${ids.packId}`, { name: 'K', credits: 10, price: { amount: 100, currency: 'usd' } });
  const gen = (await p.call('POST', '/v1/generations', { customerId: a.customerId, toolId: a.toolId })).body;
  ids.id = gen.id;
  ids.grantId = (await p.call('GET', `/v1/customers/${a.customerId}/grants`)).body.data[0].id;
  ids.purchaseId = (await p.call('POST', `/v1/customers/${a.customerId}/purchases`, { packId: ids.packId })).body.id;
  ids.memberId = 'm1';
  await p.call('PUT', `/v1/customers/${a.customerId}/members/m1`, { name: 'M' });
  sessionA = (await p.call('POST', `/v1/customers/${a.customerId}/sessions`, {})).body.token;
  sessionB = (await p.call('POST', `/v1/customers/${b.customerId}/sessions`, {})).body.token;
  expiredSession = (await p.call('POST', `/v1/customers/${a.customerId}/sessions`, { ttlSeconds: 60 })).body.token;
  await p.call('POST', '/v1/test-clock', { advanceSeconds: 120 });
  const revoked = await createApiKey(p.ctx, 'revoked');
  await p.ctx.store.revokeApiKey(revoked.id, Date.now());
  revokedKey = revoked.key;
  const doc = (await p.call('GET', '/openapi.json', undefined, { auth: null })).body;
  routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path: path.replace(/:(\w+)/g, '{$1}') })),
  );
});
afterAll(async () => p.close());

describe('every route refuses who may not call it', () => {
  it('lists the whole API', () => {
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['POST /v1/generations', 'GET /v1/customers/{customerId}/balance']));
  });

  it('refuses every non-public route without a valid credential, and changes nothing', async () => {
    const before = await snapshotOf(ids.customerId!);
    const forgedExpiry = (() => {
      const [payload, sig] = sessionA.slice(3).split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      return `cs_${Buffer.from(JSON.stringify({ ...claims, e: Date.UTC(2100, 0, 1) })).toString('base64url')}.${sig}`;
    })();
    const tampered = `${sessionA.slice(0, -2)}xx`;
    let tried = 0;
    for (const r of routes) {
      const key = `${r.method} ${r.path}`;
      if (PUBLIC.has(key)) continue;
      const url = fill(r.path);
      const body = bodyFor(r.method, r.path);
      for (const auth of [null, 'sk_wrong_key', revokedKey, expiredSession, forgedExpiry, tampered, 'Basic abc']) {
        const res = await p.call(r.method, url, body, auth === 'Basic abc' ? { auth: null, headers: { authorization: 'Basic abc' } } : { auth });
        expect([key, auth, res.status, res.body.error?.code]).toEqual([key, auth, 401, 'unauthorized']);
        tried++;
      }
      // Another customer's session: never allowed on customer A's data or on operator routes.
      const res = await p.call(r.method, url, body, { auth: sessionB });
      expect([key, res.status, res.body.error?.code]).toEqual([key, 403, 'forbidden']);
      tried++;
    }
    expect(tried).toBeGreaterThan(200);
    expect(await snapshotOf(ids.customerId!)).toEqual(before);
  });

  it('lets a customer session read its own credits and buy packs, and nothing else', async () => {
    for (const r of routes) {
      const key = `${r.method} ${r.path}`;
      if (PUBLIC.has(key)) continue;
      const res = await p.call(r.method, fill(r.path), bodyFor(r.method, r.path), { auth: sessionA });
      if (SESSION_MAY.has(key)) expect([key, res.status < 300]).toEqual([key, true]);
      else expect([key, res.status, res.body.error?.code]).toEqual([key, 403, 'forbidden']);
    }
  });

  it('serves the public routes to anyone', async () => {
    for (const key of PUBLIC) {
      const [method, path] = key.split(' ');
      expect((await p.call(method!, path!, undefined, { auth: null })).status).toBe(200);
    }
  });
});
