import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCustomer, startTestPurse, type TestPurse } from '../helpers.js';
import { startReceiver } from '../webhook-receiver.js';

/**
 * How the delivery worker sends (undici's client, attempts recorded a batch at a
 * time): a receiver that never answers times out within half the lease; one that
 * refuses connections fails; a redirect is a failure, never followed; each
 * endpoint is disabled with its own last
 * error even when their attempts were recorded in one transaction; a healthy
 * endpoint in the same batches gets everything.
 */
let p: TestPurse;

beforeAll(async () => {
  // A lease of 2 s: sends time out after 1 s.
  p = await startTestPurse({ webhooks: { retryBaseMs: 20, maxFailures: 2, pollMs: 20, leaseMs: 2_000 } });
});
afterAll(async () => p.close());

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last value ${JSON.stringify(v)}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('webhook sends', () => {
  it('time out a silent receiver, fail a refused one and a redirect, and disable each with its own reason', async () => {
    const silent: Server = createServer(() => {}); // reads the request, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const refused = createServer();
    await new Promise<void>((r) => refused.listen(0, '127.0.0.1', r));
    const refusedPort = (refused.address() as { port: number }).port;
    await new Promise<void>((r) => refused.close(() => r())); // nothing listens there now
    const healthy = await startReceiver();
    // Sends the worker on to the healthy receiver: following it would hand that receiver events it did not ask for.
    const redirecting = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: healthy.url }).end();
    });
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    const make = async (url: string) => {
      const res = await p.call('POST', '/v1/webhook-endpoints', { url, events: ['credits.granted'] });
      expect(res.status).toBe(201);
      return res.body as { id: string; secret: string };
    };
    const slow = await make(`http://127.0.0.1:${(silent.address() as { port: number }).port}/hooks`);
    const gone = await make(`http://127.0.0.1:${refusedPort}/hooks`);
    const moved = await make(`http://127.0.0.1:${(redirecting.address() as { port: number }).port}/hooks`);
    const good = await make(healthy.url);
    healthy.setSecret(good.secret);
    try {
      const customers = await Promise.all([seedCustomer(p, { credits: 5 }), seedCustomer(p, { credits: 6 })]);
      const read = (id: string) => p.call('GET', `/v1/webhook-endpoints/${id}`).then((r) => r.body);
      const [slowEnd, goneEnd, movedEnd] = await Promise.all([slow, gone, moved].map((e) => until(() => read(e.id), (x) => x.status === 'disabled')));
      expect(slowEnd.disabledReason).toMatch(/no answer within 1000 ms/);
      expect(goneEnd.disabledReason).toMatch(/ECONNREFUSED/);
      expect(movedEnd.disabledReason).toMatch(/answered 307/);
      const attempts = (await p.call('GET', `/v1/webhook-endpoints/${slow.id}/deliveries`)).body.data as Array<{ statusCode: number | null; latencyMs: number }>;
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      for (const a of attempts) {
        expect(a.statusCode).toBeNull();
        expect(a.latencyMs).toBeGreaterThanOrEqual(990);
        expect(a.latencyMs).toBeLessThan(5_000);
      }
      const mine = await until(
        async () => healthy.received.filter((d) => customers.some((c) => c.customerId === d.body.customerId)),
        (ds) => ds.length >= 2,
      );
      expect(mine.map((d) => d.body.type)).toEqual(['credits.granted', 'credits.granted']);
      expect(healthy.rejected).toEqual([]);
      expect((await read(good.id)).status).toBe('enabled');
    } finally {
      for (const e of [slow, gone, moved, good]) await p.call('DELETE', `/v1/webhook-endpoints/${e.id}`);
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
      await new Promise<void>((r) => redirecting.close(() => r()));
      await healthy.close();
    }
  });
});
