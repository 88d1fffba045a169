import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../src/config.js';
import { createPurse, type Purse } from '../src/server.js';
import { createTestDatabase, ON_POSTGRES } from './pg.js';

export const TEST_API_KEY = 'sk_test_purse_key_for_tests_only';

/** A unique id per test, so tests share one database without wiping it. */
export function uid(prefix = 't'): string {
  return `${prefix}_${randomUUID().slice(0, 12)}`;
}

export interface TestPurse extends Purse {
  /** Calls the API in-process with the test key unless `auth` says otherwise (null: no header). */
  call(method: string, url: string, body?: unknown, opts?: { auth?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: 'sqlite::memory:',
    apiKey: TEST_API_KEY,
    demo: false,
    payments: 'sandbox',
    testClock: true,
    sessionSecret: 'test-session-secret',
    sweepSeconds: 3600,
    logLevel: 'silent',
    stripe: null,
    catalogPath: undefined,
    ...overrides,
  };
}

/**
 * A database for one test: a fresh SQLite file in `dir`, or a fresh PostgreSQL
 * database when the tests run on PostgreSQL (PURSE_TEST_STORE=postgres).
 */
export async function testDatabase(dir: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (ON_POSTGRES) return createTestDatabase();
  return { url: `sqlite:${join(dir, 'purse.db')}`, drop: async () => {} };
}

/** A whole Purse in this process, on a fresh database (or what `overrides` name). */
export async function startTestPurse(overrides: Partial<Config> = {}): Promise<TestPurse & { dir: string; databaseUrl: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'purse-test-'));
  const db = overrides.databaseUrl ? { url: overrides.databaseUrl, drop: async () => {} } : await testDatabase(dir);
  const purse = await createPurse(testConfig({ databaseUrl: db.url, ...overrides }));
  if (ON_POSTGRES && !overrides.databaseUrl && purse.ctx.store.kind !== 'postgres') throw new Error('the postgres project must run on PostgreSQL');
  const call: TestPurse['call'] = async (method, url, body, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const auth = opts.auth === undefined ? TEST_API_KEY : opts.auth;
    if (auth !== null) headers.authorization = `Bearer ${auth}`;
    const res = await purse.app.inject({ method: method as 'GET', url, headers, ...(body === undefined ? {} : { payload: body as object }) });
    let parsed: unknown = res.body;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      /* not JSON */
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  };
  return {
    ...purse,
    dir,
    databaseUrl: db.url,
    call,
    async close() {
      await purse.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a tool and a customer holding `credits` bonus credits; returns their ids. */
export async function seedCustomer(p: TestPurse, opts: { credits?: number; toolCredits?: number; holdSeconds?: number } = {}) {
  const customerId = uid('cus');
  const toolId = uid('tool');
  await p.call('PUT', `/v1/tools/${toolId}`, { name: 'Tool', credits: opts.toolCredits ?? 1, ...(opts.holdSeconds ? { holdSeconds: opts.holdSeconds } : {}) });
  await p.call('PUT', `/v1/customers/${customerId}`, { name: 'Test' });
  if (opts.credits) {
    const res = await p.call('POST', `/v1/customers/${customerId}/grants`, { amount: opts.credits, source: 'bonus', reason: 'test' });
    if (res.status !== 201) throw new Error(`seed grant failed: ${JSON.stringify(res.body)}`);
  }
  return { customerId, toolId };
}
