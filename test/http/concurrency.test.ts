import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY, testDatabase } from '../helpers.js';
import { spawnPurse, type PurseProcess } from '../process.js';

let server: PurseProcess;
let dir: string;
let db: Awaited<ReturnType<typeof testDatabase>>;

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'purse-conc-'));
  db = await testDatabase(dir);
  server = await spawnPurse({ PURSE_DATABASE_URL: db.url, PURSE_API_KEY: TEST_API_KEY });
});
afterAll(async () => {
  await server?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('500 concurrent reservations against a balance of 100, through HTTP', () => {
  it('reserve exactly 100, refuse 400 with 402, and create nothing new when repeated', async () => {
    await api('PUT', '/v1/tools/one-credit', { name: 'One credit', credits: 1 });
    await api('PUT', '/v1/customers/crowd', { name: 'Crowd' });
    expect((await api('POST', '/v1/customers/crowd/grants', { amount: 100, source: 'bonus', reason: 'test' })).status).toBe(201);

    const ids = Array.from({ length: 500 }, (_, i) => `crowd-gen-${i}`);
    const fire = () => Promise.all(ids.map((id) => api('POST', '/v1/generations', { id, customerId: 'crowd', toolId: 'one-credit' })));

    const first = await fire();
    const created = first.filter((r) => r.status === 201);
    const refused = first.filter((r) => r.status === 402);
    expect(created).toHaveLength(100);
    expect(refused).toHaveLength(400);
    for (const r of refused) expect(r.body.error).toMatchObject({ code: 'insufficient_credits', details: { available: 0, required: 1 } });

    const balance = await api('GET', '/v1/customers/crowd/balance');
    expect(balance.body).toMatchObject({ available: 0, reserved: 100 });
    const ledgerBefore = await api('GET', '/v1/customers/crowd/ledger?limit=100');

    const second = await fire();
    for (let i = 0; i < ids.length; i++) {
      expect(second[i]!.status).toBe(first[i]!.status);
      if (first[i]!.status === 201) expect(second[i]!.body).toEqual(first[i]!.body);
    }
    expect((await api('GET', '/v1/customers/crowd/balance')).body).toMatchObject({ available: 0, reserved: 100 });
    expect((await api('GET', '/v1/customers/crowd/ledger?limit=100')).body).toEqual(ledgerBefore.body);
    const gens = await api('GET', '/v1/customers/crowd/generations?limit=100');
    expect(gens.body.data).toHaveLength(100);
    expect(gens.body.nextCursor).toBeNull();
  });
});
