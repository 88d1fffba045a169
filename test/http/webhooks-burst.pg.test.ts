import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY } from '../helpers.js';
import { createTestDatabase } from '../pg.js';
import { spawnPurse, type PurseProcess } from '../process.js';
import { startReceiver, type Receiver } from '../webhook-receiver.js';

/**
 * Issue 12: several Purse processes on one PostgreSQL share the delivery work
 * without sending an event twice in normal operation. Two server processes,
 * each with its delivery worker polling every 20 ms, take a burst of 1,000
 * grants split between them; one endpoint gets every `credits.granted` event
 * exactly once.
 */
const BURST = 1_000;
const CUSTOMERS = 50;
const CONCURRENCY = 20;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let servers: PurseProcess[] = [];
let receiver: Receiver;

async function api(server: PurseProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startReceiver();
  const env = {
    PURSE_DATABASE_URL: db.url,
    PURSE_API_KEY: TEST_API_KEY,
    PURSE_SESSION_SECRET: 'shared-session-secret-of-at-least-32-bytes',
    PURSE_WEBHOOK_POLL_MS: '20',
  };
  // The first migrates; the second starts on the migrated database.
  servers = [await spawnPurse(env)];
  servers.push(await spawnPurse(env));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await receiver?.close();
  await db?.drop();
});

describe('two processes on one PostgreSQL', () => {
  it(`deliver a burst of ${BURST} events to one endpoint, each exactly once`, async () => {
    const [a, b] = servers as [PurseProcess, PurseProcess];
    const endpoint = await api(a, 'POST', '/v1/webhook-endpoints', { url: receiver.url, events: ['credits.granted'] });
    expect(endpoint.status).toBe(201);
    receiver.setSecret(endpoint.body.secret);
    const customers = Array.from({ length: CUSTOMERS }, (_, i) => `burst_${i}`);
    for (const c of customers) expect((await api(b, 'PUT', `/v1/customers/${c}`, {})).status).toBeLessThan(300);

    const grants: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < BURST; i = next++) {
          const res = await api(i % 2 === 0 ? a : b, 'POST', `/v1/customers/${customers[i % CUSTOMERS]}/grants`, { amount: 1 + (i % 7), source: 'bonus', reason: 'burst' });
          expect(res.status).toBe(201);
          grants.push(res.body.id);
        }
      }),
    );

    const deadline = Date.now() + 45_000;
    while (new Set(receiver.received.map((d) => d.id)).size < BURST && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // Time for a second copy of anything to arrive, were one on its way.
    await new Promise((r) => setTimeout(r, 1_000));

    const ids = receiver.received.map((d) => d.id);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(receiver.rejected).toEqual([]);
    expect(repeated).toEqual([]);
    expect(ids).toHaveLength(BURST);
    // The events are the grants just made, each as the feed shows it.
    expect(new Set(receiver.received.map((d) => (d.body.data as { grant: { id: string } }).grant.id))).toEqual(new Set(grants));
    const feed = await api(a, 'GET', `/v1/events/${ids[0]}`);
    expect(feed.body).toMatchObject({ id: ids[0], type: 'credits.granted' });
    expect(receiver.received.every((d) => d.body.type === 'credits.granted')).toBe(true);
  });
});
