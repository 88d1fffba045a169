import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneIdempotency } from '../../src/service/idempotency.js';
import { startSweeper } from '../../src/service/sweep.js';
import { seedCustomer, startTestPurse, type TestPurse } from '../helpers.js';

/*
 * Idempotency records are kept for PURSE_IDEMPOTENCY_DAYS (30 by default), then
 * forgotten by the sweeper: a retry inside the window replays, one after it is a
 * new request. The ledger, grants and generations are never pruned.
 */

let p: TestPurse;
const DAY = 86_400;
beforeAll(async () => {
  p = await startTestPurse();
});
afterAll(async () => p.close());

describe('idempotency retention', () => {
  it('replays within the window, forgets after it, and never touches the ledger', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100 });
    const grant = () => p.call('POST', `/v1/customers/${customerId}/grants`, { amount: 5, source: 'bonus', reason: 'retention' }, { headers: { 'idempotency-key': 'retention-key' } });
    const first = await grant();
    expect(first.status).toBe(201);
    const gen = await p.call('POST', '/v1/generations', { id: `${customerId}-gen`, customerId, toolId });
    expect(gen.status).toBe(201);

    await p.call('POST', '/v1/test-clock', { advanceSeconds: 29 * DAY });
    await p.testClock!.sync(); // the clock may have been moved by another server process
    expect(await pruneIdempotency(p.ctx, 30)).toBe(0);
    expect((await grant()).body).toEqual(first.body);

    await p.call('POST', '/v1/test-clock', { advanceSeconds: 2 * DAY });
    const ledgerBefore = (await p.call('GET', `/v1/customers/${customerId}/ledger?limit=100`)).body.data;
    await p.testClock!.sync();
    expect(await pruneIdempotency(p.ctx, 30)).toBeGreaterThanOrEqual(2);

    // The old key now makes a new grant; the generation id stays taken by its generation.
    const again = await grant();
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
    const retry = await p.call('POST', '/v1/generations', { id: `${customerId}-gen`, customerId, toolId });
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe('idempotency_conflict');

    const ledgerAfter = (await p.call('GET', `/v1/customers/${customerId}/ledger?limit=100`)).body.data;
    expect(ledgerAfter.slice(-ledgerBefore.length)).toEqual(ledgerBefore);
    expect((await p.ctx.store.audit()).problems).toEqual([]);
  });

  it('is done by the background sweeper', async () => {
    const { customerId } = await seedCustomer(p, {});
    const body = { amount: 3, source: 'bonus', reason: 'sweeper' };
    const headers = { 'idempotency-key': 'sweeper-key' };
    const first = await p.call('POST', `/v1/customers/${customerId}/grants`, body, { headers });
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 31 * DAY });
    const errors: unknown[] = [];
    const sweeper = startSweeper(p.ctx, { intervalMs: 20, onError: (err) => errors.push(err), beforeEach: () => p.testClock?.sync(), idempotencyDays: 30 });
    try {
      let again = first;
      for (let i = 0; i < 100 && again.body.id === first.body.id; i++) {
        await new Promise((r) => setTimeout(r, 50));
        again = await p.call('POST', `/v1/customers/${customerId}/grants`, body, { headers });
        if (again.body.id !== first.body.id) break;
      }
      expect(again.status).toBe(201);
      expect(again.body.id).not.toBe(first.body.id);
    } finally {
      await sweeper.stop();
    }
    expect(errors).toEqual([]);
  });
});
