import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCustomer, startTestPurse, uid, type TestPurse } from '../helpers.js';

let p: TestPurse;
beforeAll(async () => {
  p = await startTestPurse();
});
afterAll(async () => p.close());

describe('generations over HTTP', () => {
  it('reserves, completes with fewer units, and gives the difference back', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 4 });
    const reserved = await p.call('POST', '/v1/generations', { customerId, toolId, units: 5 });
    expect(reserved.status).toBe(201);
    expect(reserved.body).toMatchObject({ status: 'reserved', cost: 20, units: 5 });
    let balance = await p.call('GET', `/v1/customers/${customerId}/balance`);
    expect(balance.body).toMatchObject({ available: 80, reserved: 20 });

    const done = await p.call('POST', `/v1/generations/${reserved.body.id}/complete`, { units: 3 });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', charged: 12, chargedUnits: 3 });
    balance = await p.call('GET', `/v1/customers/${customerId}/balance`);
    expect(balance.body).toMatchObject({ available: 88, reserved: 0 });
  });

  it('fails and gives every credit back; completing afterwards is refused', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 10, toolCredits: 7 });
    const id = uid('gen');
    expect((await p.call('POST', '/v1/generations', { id, customerId, toolId })).status).toBe(201);
    const failed = await p.call('POST', `/v1/generations/${id}/fail`, { reason: 'model crashed' });
    expect(failed.body).toMatchObject({ status: 'failed', failureReason: 'other', failureMessage: 'model crashed', charged: 0 });
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body.available).toBe(10);
    const late = await p.call('POST', `/v1/generations/${id}/complete`, {});
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('generation_settled');
  });

  it('completes, fails and mints a session on a POST without a body, as curl -X POST sends it', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 10, toolCredits: 2 });
    const bare = (url: string) => p.call('POST', url, undefined);
    const first = (await p.call('POST', '/v1/generations', { customerId, toolId, units: 2 })).body.id;
    expect((await bare(`/v1/generations/${first}/complete`)).body).toMatchObject({ status: 'completed', charged: 4 });
    const second = (await p.call('POST', '/v1/generations', { customerId, toolId })).body.id;
    expect((await bare(`/v1/generations/${second}/fail`)).body).toMatchObject({ status: 'failed', charged: 0 });
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body).toMatchObject({ available: 6, reserved: 0 });
    const session = await bare(`/v1/customers/${customerId}/sessions`);
    expect([session.status, session.body.customerId]).toEqual([201, customerId]);
  });

  it('refuses a reservation it cannot cover with 402 and the numbers', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 3, toolCredits: 2 });
    const res = await p.call('POST', '/v1/generations', { customerId, toolId, units: 2 });
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ code: 'insufficient_credits', details: { available: 3, required: 4 } });
  });

  it('times out a hold by itself when the clock passes it', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 5, toolCredits: 5, holdSeconds: 60 });
    const res = await p.call('POST', '/v1/generations', { customerId, toolId });
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body.available).toBe(0);
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 61 });
    const gen = await p.call('GET', `/v1/generations/${res.body.id}`);
    expect(gen.body).toMatchObject({ status: 'failed', failureReason: 'timeout' });
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body).toMatchObject({ available: 5, reserved: 0 });
  });

  it('names the field of bad input and changes nothing', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 5 });
    const res = await p.call('POST', '/v1/generations', { customerId, toolId, units: -1 });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details.field).toBe('units');
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body.available).toBe(5);
  });
});
