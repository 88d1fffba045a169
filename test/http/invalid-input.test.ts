import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCustomer, startTestPurse, type TestPurse } from '../helpers.js';

/*
 * Thousands of generated malformed requests to every write route: each answers
 * 4xx with a code from the closed set (400s name the field) and changes nothing.
 */

const CODES = new Set(['invalid_request', 'unauthorized', 'forbidden', 'not_found', 'insufficient_credits', 'idempotency_conflict', 'generation_settled', 'invalid_state', 'payload_too_large', 'unsupported_media_type']);

let p: TestPurse;
let customerId: string;
let toolId: string;
let genId: string;
let grantId: string;

const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ noNaN: false }),
  fc.constantFrom(1e308, -0, 2 ** 53 + 2, 0.5, -1, 0),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('', ' ', 'NaN', '1e999', '../etc', 'a'.repeat(300), '\u0000', '<script>'),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

/** A valid body for each route, then one field replaced, dropped, or a stranger added. */
const routes = () => [
  { method: 'POST', url: '/v1/generations', body: { customerId, toolId, units: 1 } },
  { method: 'POST', url: `/v1/generations/${genId}/complete`, body: { units: 1 } },
  { method: 'POST', url: `/v1/generations/${genId}/fail`, body: { reason: 'x' } },
  { method: 'POST', url: `/v1/generations/${genId}/extend`, body: { holdSeconds: 60 } },
  { method: 'POST', url: `/v1/generations/${genId}/refund`, body: { reason: 'x', amount: 1 } },
  { method: 'POST', url: `/v1/customers/${customerId}/grants`, body: { amount: 5, source: 'bonus', reason: 'x', expiresAt: '2099-01-01T00:00:00Z' } },
  { method: 'POST', url: `/v1/grants/${grantId}/void`, body: { reason: 'x' } },
  { method: 'PUT', url: `/v1/tools/${toolId}`, body: { name: 'T', credits: 1, holdSeconds: 60 } },
  { method: 'PUT', url: `/v1/customers/${customerId}`, body: { name: 'N', email: 'a@b.co' } },
  { method: 'PUT', url: '/v1/plans/bad-input-plan', body: { name: 'P', creditsPerPeriod: 1, price: { amount: 1, currency: 'usd' } } },
  { method: 'PUT', url: '/v1/packs/bad-input-pack', body: { name: 'K', credits: 1, price: { amount: 1, currency: 'usd' } } },
  { method: 'POST', url: `/v1/customers/${customerId}/purchases`, body: { packId: 'bad-input-pack' } },
  { method: 'PUT', url: `/v1/customers/${customerId}/subscription`, body: { planId: 'bad-input-plan' } },
  { method: 'POST', url: `/v1/customers/${customerId}/sessions`, body: { ttlSeconds: 600 } },
];

/** A cheap fingerprint of everything a write could change, read from the store. */
async function fingerprint() {
  const store = p.ctx.store;
  const [newest] = await store.listLedger(customerId, { limit: 1 });
  const balance = await store.readBalance(customerId, p.ctx.clock.now());
  const tool = await store.getTool(toolId);
  const gen = await store.getGeneration(genId);
  const sub = await store.getSubscription(customerId);
  return JSON.stringify([newest?.id, balance.reserved, balance.grants.map((g) => [g.id, g.remaining]), tool, gen, sub, await store.getCustomer(customerId)]);
}

async function state() {
  const balance = (await p.call('GET', `/v1/customers/${customerId}/balance`)).body;
  const ledger = (await p.call('GET', `/v1/customers/${customerId}/ledger?limit=100`)).body.data.length;
  const tool = (await p.call('GET', `/v1/tools/${toolId}`)).body;
  const gen = (await p.call('GET', `/v1/generations/${genId}`)).body;
  return { available: balance.available, reserved: balance.reserved, subscription: balance.subscription, ledger, tool: [tool.credits, tool.name], gen: [gen.status, gen.holdUntil] };
}

beforeAll(async () => {
  p = await startTestPurse();
  ({ customerId, toolId } = await seedCustomer(p, { credits: 1000, toolCredits: 1 }));
  genId = (await p.call('POST', '/v1/generations', { customerId, toolId })).body.id;
  grantId = (await p.call('GET', `/v1/customers/${customerId}/grants`)).body.data[0].id;
});
afterAll(async () => p.close());

describe('malformed requests', () => {
  it('answer 4xx with a code, name the field, and change nothing', async () => {
    const before = await state();
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), field: fc.nat(), value: junk }),
      fc.record({ kind: fc.constant('drop' as const), field: fc.nat() }),
      fc.record({ kind: fc.constant('extra' as const), name: fc.string({ minLength: 1, maxLength: 8 }), value: junk }),
      fc.record({ kind: fc.constant('notObject' as const), value: junk }),
    );
    let sent = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(), mutation, async (pick, m) => {
        const all = routes();
        const route = all[pick % all.length]!;
        const body: Record<string, unknown> = { ...route.body };
        const keys = Object.keys(body);
        let payload: unknown = body;
        if (m.kind === 'replace') {
          const k = keys[m.field % keys.length]!;
          if (JSON.stringify(body[k]) === JSON.stringify(m.value)) return;
          body[k] = m.value;
        } else if (m.kind === 'drop') {
          delete body[keys[m.field % keys.length]!];
        } else if (m.kind === 'extra') {
          if (m.name in body) return;
          body[m.name] = m.value;
        } else {
          if (m.value !== null && typeof m.value === 'object' && !Array.isArray(m.value)) return;
          payload = m.value;
        }
        const was = await fingerprint();
        const res = await p.call(route.method, route.url, payload === undefined ? undefined : payload);
        sent++;
        // Dropping an optional field can leave a valid request; it may change things, as it should.
        if (res.status < 300) return;
        refused++;
        expect([route.url, res.status >= 400 && res.status < 500]).toEqual([route.url, true]);
        expect([route.url, JSON.stringify(payload), await fingerprint()]).toEqual([route.url, JSON.stringify(payload), was]);
        expect(CODES.has(res.body.error?.code)).toBe(true);
        if (res.body.error.code === 'invalid_request') expect(typeof res.body.error.details?.field).toBe('string');
      }),
      { numRuns: 2500 },
    );
    expect(sent).toBeGreaterThan(1500);
    expect(refused).toBeGreaterThan(1000);
    console.log(`malformed requests: ${sent} sent, ${refused} refused, none changed anything`);
    expect(before.ledger).toBeGreaterThan(0);
  }, 120_000);

  it('refuse bad JSON, a wrong content type and oversized bodies', async () => {
    const before = await state();
    const raw = async (payload: string, type: string) =>
      p.app.inject({ method: 'POST', url: '/v1/generations', headers: { authorization: 'Bearer sk_test_purse_key_for_tests_only', 'content-type': type }, payload });
    const badJson = await raw('{"customerId": ', 'application/json');
    expect([badJson.statusCode, JSON.parse(badJson.body).error.code]).toEqual([400, 'invalid_request']);
    const xml = await raw('<customerId>x</customerId>', 'application/xml');
    expect([xml.statusCode, JSON.parse(xml.body).error.code]).toEqual([415, 'unsupported_media_type']);
    const text = await raw('customerId=x', 'text/plain');
    expect([text.statusCode, JSON.parse(text.body).error.details.field]).toEqual([400, 'body']);
    const huge = await raw(JSON.stringify({ customerId, toolId, metadata: { note: 'x'.repeat(70_000) } }), 'application/json');
    expect([huge.statusCode, JSON.parse(huge.body).error.code]).toEqual([413, 'payload_too_large']);
    const badCursor = await p.call('GET', `/v1/customers/${customerId}/ledger?cursor=abc&limit=5`);
    expect([badCursor.status, badCursor.body.error.details.field]).toEqual([400, 'cursor']);
    const badLimit = await p.call('GET', `/v1/customers/${customerId}/ledger?limit=0`);
    expect([badLimit.status, badLimit.body.error.details.field]).toEqual([400, 'limit']);
    // PostgreSQL cannot store a NUL character: refused by field, on every store alike.
    const nul = await p.call('PUT', `/v1/tools/${toolId}`, { name: 'a\u0000b', credits: 1 });
    expect([nul.status, nul.body.error.details.field]).toEqual([400, 'name']);
    const nulQuery = await p.call('GET', `/v1/customers/${customerId}/generations?cursor=1.a%00b`);
    expect([nulQuery.status, nulQuery.body.error.details.field]).toEqual([400, 'cursor']);
    expect(await state()).toEqual(before);
  });
});
