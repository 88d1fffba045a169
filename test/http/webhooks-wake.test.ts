import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCustomer, startTestPurse, type TestPurse } from '../helpers.js';
import { startReceiver, type Receiver } from '../webhook-receiver.js';

/**
 * A write that makes events wakes the delivery worker: with an idle poll of a
 * minute, an event is still sent within moments of the write that made it.
 */
let p: TestPurse;
let receiver: Receiver;

beforeAll(async () => {
  p = await startTestPurse({ webhooks: { retryBaseMs: 5_000, maxFailures: 100, pollMs: 60_000 } });
  receiver = await startReceiver();
});
afterAll(async () => {
  await p.close();
  await receiver.close();
});

describe('waking the delivery worker', () => {
  it('sends an event at once after the write that made it, not at the idle poll a minute later', async () => {
    // The endpoint first: a worker that has only found events no endpoint takes marks them at its idle poll.
    const created = await p.call('POST', '/v1/webhook-endpoints', { url: receiver.url, events: ['credits.granted'] });
    expect(created.status).toBe(201);
    receiver.setSecret(created.body.secret);
    const { customerId } = await seedCustomer(p, { credits: 10 });
    const deadline = Date.now() + 5_000;
    while (receiver.received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(receiver.rejected).toEqual([]);
    expect(receiver.received.map((d) => [d.body.type, d.body.customerId])).toEqual([['credits.granted', customerId]]);
  });
});
