import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { TEST_API_KEY, testDatabase } from '../helpers.js';
import { spawnPurse, type PurseProcess } from '../process.js';

let a: PurseProcess;
let b: PurseProcess;
let dir: string;
let db: Awaited<ReturnType<typeof testDatabase>>;

async function api(server: PurseProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'purse-race-'));
  db = await testDatabase(dir);
  const env = {
    PURSE_DATABASE_URL: db.url,
    PURSE_API_KEY: TEST_API_KEY,
    PURSE_TEST_CLOCK: '1',
    PURSE_SWEEP_SECONDS: '0.05',
    PURSE_SESSION_SECRET: 'shared-session-secret-of-at-least-32-bytes',
  };
  a = await spawnPurse(env);
  b = await spawnPurse(env);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('two server processes on one database across a period boundary', () => {
  it('issue exactly one plan grant per customer and period', async () => {
    await api(a, 'PUT', '/v1/plans/monthly', { name: 'Monthly', creditsPerPeriod: 100, price: { amount: 1000, currency: 'usd' } });
    const customers = Array.from({ length: 30 }, (_, i) => `racer-${i}`);
    for (const c of customers) {
      await api(a, 'PUT', `/v1/customers/${c}`, {});
      expect((await api(a, 'PUT', `/v1/customers/${c}/subscription`, { planId: 'monthly' })).status).toBe(200);
    }
    // Both processes' sweepers, B's clock route and reads on both race to renew the same periods.
    const reads = (server: PurseProcess) => Promise.all(customers.map((c) => api(server, 'GET', `/v1/customers/${c}/balance`)));
    const [moved] = await Promise.all([api(b, 'POST', '/v1/test-clock', { advanceSeconds: 32 * 86_400 }), reads(a), reads(b), reads(a)]);
    expect(moved.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const after = await Promise.all([reads(a), reads(b)]);
    for (const side of after) for (const r of side) expect(r.body).toMatchObject({ available: 100 });

    for (const c of customers) {
      const grants = (await api(b, 'GET', `/v1/customers/${c}/grants`)).body.data.filter((g: any) => g.source === 'plan');
      expect(grants).toHaveLength(2);
    }
    const store = await openStore(db.url);
    try {
      expect((await store.audit()).problems).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
