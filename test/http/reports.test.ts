import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CATALOG_PATH } from '../../src/demo.js';
import { seedCustomer, startTestPurse, type TestPurse } from '../helpers.js';

let p: TestPurse;
beforeAll(async () => {
  p = await startTestPurse({ demo: true, catalogPath: DEMO_CATALOG_PATH });
  await p.call('POST', '/v1/test-clock', { now: '2031-05-10T10:00:00.000Z' });
});
afterAll(async () => p.close());

describe('reports', () => {
  it('count credits per day, per tool, and what is still owed', async () => {
    const before = (await p.call('GET', '/v1/reports/outstanding')).body;
    const { customerId, toolId } = await seedCustomer(p, { credits: 50, toolCredits: 5 });
    const a = (await p.call('POST', '/v1/generations', { customerId, toolId, units: 2 })).body;
    const b = (await p.call('POST', '/v1/generations', { customerId, toolId })).body;
    const c = (await p.call('POST', '/v1/generations', { customerId, toolId })).body;
    await p.call('POST', `/v1/generations/${a.id}/complete`, {});
    await p.call('POST', `/v1/generations/${b.id}/fail`, {});
    await p.call('POST', `/v1/generations/${a.id}/refund`, { reason: 'bad', amount: 4 });

    const credits = (await p.call('GET', '/v1/reports/credits?from=2031-05-09T00:00:00Z&to=2031-05-11T00:00:00Z')).body;
    expect(credits.days.map((d: any) => d.date)).toEqual(['2031-05-09', '2031-05-10']);
    expect(credits.days[1]).toMatchObject({ spent: 10, refunded: 4 });
    expect(credits.days[1].issued).toBeGreaterThanOrEqual(50);
    expect(credits.totals.spent).toBe(10);

    const tools = (await p.call('GET', '/v1/reports/tools?from=2031-05-10T00:00:00Z&to=2031-05-11T00:00:00Z')).body.tools;
    expect(tools.find((t: any) => t.toolId === toolId)).toMatchObject({ generations: 3, completed: 1, failed: 1, reserved: 1, failureRate: 0.5, creditsCharged: 10, creditsRefunded: 4 });

    const after = (await p.call('GET', '/v1/reports/outstanding')).body;
    // 50 granted, 10 charged, 4 refunded, 5 held by c: 39 available (bonus) and 5 reserved more than before.
    const bonus = (r: any) => r.bySource.find((l: any) => l.source === 'bonus')?.available ?? 0;
    expect(bonus(after) - bonus(before)).toBe(39);
    expect(after.reserved - before.reserved).toBe(5);
    expect(after.total - before.total).toBe(44);
    expect(c.status).toBe('reserved');
  });

  it('refuse a range that is backwards or too long', async () => {
    const r = await p.call('GET', '/v1/reports/credits?from=2031-05-10T00:00:00Z&to=2031-05-01T00:00:00Z');
    expect(r.status).toBe(400);
    expect(r.body.error.details.field).toBe('from');
  });
});

describe('the demo studio routes', () => {
  it('reserve and settle for the demo session only', async () => {
    const session = (await p.call('POST', '/demo/session', {}, { auth: null })).body;
    expect(session.customerId).toBe('demo_user');
    const gen = await p.call('POST', '/demo/generations', { toolId: 'text-to-image', units: 2, prompt: 'a red fox' }, { auth: session.token });
    expect(gen.status).toBe(201);
    expect(gen.body).toMatchObject({ customerId: 'demo_user', cost: 8, metadata: { prompt: 'a red fox' } });
    expect((await p.call('POST', `/demo/generations/${gen.body.id}/fail`, { reason: 'demo failure' }, { auth: session.token })).body.status).toBe('failed');
    // A secret key is not a session; another customer's generation is not the demo user's.
    expect((await p.call('POST', '/demo/generations', { toolId: 'text-to-image' })).status).toBe(403);
    const { customerId, toolId } = await seedCustomer(p, { credits: 5 });
    const other = (await p.call('POST', '/v1/generations', { customerId, toolId })).body;
    expect((await p.call('POST', `/demo/generations/${other.id}/complete`, {}, { auth: session.token })).status).toBe(403);
    expect((await p.call('GET', `/v1/generations/${other.id}`)).body.status).toBe('reserved');
  });
});
