import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCustomer, startTestPurse, uid, type TestPurse } from '../helpers.js';

/** Issue 12, items 5–6: signed deliveries to a real receiver, retries, disabling, replays. */
let p: TestPurse;

beforeAll(async () => {
  p = await startTestPurse({ webhooks: { retryBaseMs: 40, maxFailures: 4, pollMs: 20 } });
});
afterAll(async () => p.close());

interface Received {
  id: string;
  body: any;
  headers: IncomingHttpHeaders;
}

/** An app's webhook route in this process: verifies every delivery with the endpoint's secret; answers the nth try of each event as `answer` says. */
async function receiver(answer: (n: number) => number = () => 204) {
  const tries = new Map<string, number>();
  const received: Received[] = [];
  const rejected: string[] = [];
  let secret = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      try {
        const body = new Webhook(secret.slice('whsec_'.length)).verify(raw, req.headers as Record<string, string>);
        received.push({ id: String(req.headers['webhook-id']), body, headers: req.headers });
      } catch (err) {
        rejected.push(String(err));
      }
      const id = String(req.headers['webhook-id']);
      tries.set(id, (tries.get(id) ?? 0) + 1);
      res.writeHead(answer(tries.get(id)!)).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks`;
  return {
    url,
    received,
    rejected,
    setSecret: (s: string) => (secret = s),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function endpointFor(r: Awaited<ReturnType<typeof receiver>>, body: Record<string, unknown> = {}) {
  const created = await p.call('POST', '/v1/webhook-endpoints', { url: r.url, ...body });
  expect(created.status).toBe(201);
  r.setSecret(created.body.secret);
  return created.body as { id: string; secret: string };
}

async function until<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last value ${JSON.stringify(v)}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('webhook endpoints', () => {
  it('are created with a secret shown once, listed, changed and deleted; bad input names the field', async () => {
    const created = await p.call('POST', '/v1/webhook-endpoints', { url: 'https://app.example/hooks', events: ['credits.low'], description: 'alerts' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: 'https://app.example/hooks', events: ['credits.low'], status: 'enabled', secret: expect.stringMatching(/^whsec_/) });
    const id = created.body.id;
    const read = await p.call('GET', `/v1/webhook-endpoints/${id}`);
    expect(read.body.secret).toBeUndefined();
    expect((await p.call('GET', '/v1/webhook-endpoints')).body.data.map((e: any) => e.id)).toContain(id);
    expect((await p.call('PATCH', `/v1/webhook-endpoints/${id}`, { status: 'disabled', events: null })).body).toMatchObject({ status: 'disabled', events: null });
    for (const [body, field] of [
      [{ url: 'ftp://app.example/x' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'https://a.example', events: ['credits.nope'] }, 'events'],
    ] as const) {
      const bad = await p.call('POST', '/v1/webhook-endpoints', body);
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.field).toMatch(new RegExp(`^${field}`));
    }
    expect((await p.call('DELETE', `/v1/webhook-endpoints/${id}`)).status).toBe(204);
    expect((await p.call('GET', `/v1/webhook-endpoints/${id}`)).status).toBe(404);
  });
});

describe('delivery', () => {
  it('sends every event of a change, signed, with the event id stable, only the types asked for', async () => {
    const all = await receiver();
    const lowOnly = await receiver();
    const a = await endpointFor(all);
    const b = await endpointFor(lowOnly, { events: ['credits.low'] });
    try {
      const { customerId, toolId } = await seedCustomer(p, { credits: 20, toolCredits: 5 });
      await p.call('PUT', `/v1/customers/${customerId}/alerts`, { lowBalance: [10] });
      const g = await p.call('POST', '/v1/generations', { customerId, toolId, units: 3 });
      await p.call('POST', `/v1/generations/${g.body.id}/complete`, {});
      const feed = (await p.call('GET', `/v1/events?customerId=${customerId}`)).body.data as { id: string; type: string }[];
      expect(feed.map((e) => e.type).sort()).toEqual(['credits.granted', 'credits.low', 'generation.completed']);
      const mine = (r: typeof all) => r.received.filter((x) => x.body.customerId === customerId);
      await until(() => mine(all).length, (n) => n === 3);
      await until(() => mine(lowOnly).length, (n) => n === 1);
      expect(all.rejected).toEqual([]);
      for (const x of mine(all)) {
        const fromFeed = (await p.call('GET', `/v1/events/${x.id}`)).body;
        expect(x.body).toEqual(fromFeed);
        expect(x.headers['webhook-timestamp']).toMatch(/^\d+$/);
      }
      expect(mine(lowOnly)[0]!.body.type).toBe('credits.low');
      // The attempt is recorded once the receiver has answered.
      const attempts = await until(async () => (await p.call('GET', `/v1/webhook-endpoints/${b.id}/deliveries`)).body.data, (a) => a.length > 0);
      expect(attempts[0]).toMatchObject({ eventId: mine(lowOnly)[0]!.id, attempt: 1, statusCode: 204, succeeded: true });
    } finally {
      await p.call('DELETE', `/v1/webhook-endpoints/${a.id}`);
      await p.call('DELETE', `/v1/webhook-endpoints/${b.id}`);
      await all.close();
      await lowOnly.close();
    }
  });

  it('a receiver that answers 500 twice then 200 gets the event three times with one id', async () => {
    const flaky = await receiver((n) => (n <= 2 ? 500 : 200));
    const e = await endpointFor(flaky, { events: ['credits.granted'] });
    try {
      const { customerId } = await seedCustomer(p, { credits: 7 });
      const mine = () => flaky.received.filter((x) => x.body.customerId === customerId);
      await until(() => mine().length, (n) => n >= 3);
      await new Promise((r) => setTimeout(r, 300));
      expect(mine()).toHaveLength(3);
      expect(new Set(mine().map((x) => x.id)).size).toBe(1);
      expect(mine()[0]!.body).toMatchObject({ type: 'credits.granted', customerId });
      const ofEvent = (list: any[]) => list.filter((x: any) => x.eventId === mine()[0]!.id);
      const attempts = await until(async () => (await p.call('GET', `/v1/webhook-endpoints/${e.id}/deliveries`)).body.data, (a) => ofEvent(a).length === 3);
      expect(ofEvent(attempts).map((x: any) => [x.attempt, x.statusCode, x.succeeded])).toEqual([
        [3, 200, true],
        [2, 500, false],
        [1, 500, false],
      ]);
      expect((await p.call('GET', `/v1/webhook-endpoints/${e.id}`)).body).toMatchObject({ status: 'enabled', consecutiveFailures: 0 });
    } finally {
      await p.call('DELETE', `/v1/webhook-endpoints/${e.id}`);
      await flaky.close();
    }
  });

  it('a disabled endpoint gets nothing; one failing every attempt is disabled by itself and says why', async () => {
    const quiet = await receiver();
    const broken = await receiver(() => 503);
    const off = await endpointFor(quiet, { events: ['credits.granted'] });
    await p.call('PATCH', `/v1/webhook-endpoints/${off.id}`, { status: 'disabled' });
    const failing = await endpointFor(broken, { events: ['credits.granted'] });
    try {
      await seedCustomer(p, { credits: 3 });
      const endpoint = await until(
        async () => (await p.call('GET', `/v1/webhook-endpoints/${failing.id}`)).body,
        (e) => e.status === 'disabled',
      );
      expect(endpoint).toMatchObject({ consecutiveFailures: 4, disabledReason: expect.stringMatching(/503/) });
      const tries = broken.received.length;
      await new Promise((r) => setTimeout(r, 400));
      expect(broken.received.length).toBe(tries);
      expect(quiet.received).toEqual([]);
    } finally {
      await p.call('DELETE', `/v1/webhook-endpoints/${off.id}`);
      await p.call('DELETE', `/v1/webhook-endpoints/${failing.id}`);
      await quiet.close();
      await broken.close();
    }
  });

  it('redeliver sends an event again with the same id', async () => {
    const r = await receiver();
    const e = await endpointFor(r, { events: ['credits.granted'] });
    try {
      const { customerId } = await seedCustomer(p, { credits: 4 });
      const first = await until(() => r.received.filter((x) => x.body.customerId === customerId), (xs) => xs.length === 1);
      const again = await p.call('POST', `/v1/events/${first[0]!.id}/redeliver`, { endpointId: e.id });
      expect(again.status).toBe(202);
      const both = await until(() => r.received.filter((x) => x.body.customerId === customerId), (xs) => xs.length === 2);
      expect(both[1]!.id).toBe(first[0]!.id);
      expect((await p.call('POST', `/v1/events/${uid('evt')}/redeliver`, {})).status).toBe(404);
    } finally {
      await p.call('DELETE', `/v1/webhook-endpoints/${e.id}`);
      await r.close();
    }
  });
});
