import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../src/config.js';
import { createPurse, type Purse } from '../src/server.js';
import { createTestDatabase, ON_POSTGRES } from './pg.js';
import { spawnPurse, type PurseProcess } from './process.js';

/**
 * How many real server processes answer the HTTP calls (0: the app in this
 * process). The `postgres-2proc` project sets 2, so calls alternate between two
 * processes on one database; the reliability suite's HTTP projects set 1.
 */
export const SERVER_PROCESSES = Number(process.env.PURSE_TEST_PROCESSES ?? (process.env.PURSE_TEST_TWO_PROCESSES === '1' ? 2 : 0));

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
    sessionSecret: 'test-session-secret-at-least-32-bytes',
    sweepSeconds: 3600,
    idempotencyDays: 30,
    logLevel: 'silent',
    stripe: null,
    catalogPath: undefined,
    corsOrigins: [],
    sessionWritesPerMinute: 60,
    metricsPort: null,
    checkSerialization: true,
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
  const servers = await Promise.all(Array.from({ length: SERVER_PROCESSES }, () => spawnPurse(processEnv(testConfig({ databaseUrl: db.url, ...overrides })))));
  let turn = 0;
  const call: TestPurse['call'] = async (method, url, body, opts = {}) => {
    if (servers.length > 0) return callOver(servers[turn++ % servers.length]!, method, url, body, opts);
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
      await Promise.all(servers.map((s) => s.stop()));
      await purse.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The environment that starts a server process with the same configuration. */
function processEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {
    PURSE_DATABASE_URL: config.databaseUrl,
    PURSE_API_KEY: config.apiKey ?? '',
    PURSE_DEMO: config.demo ? '1' : '0',
    PURSE_TEST_CLOCK: config.testClock ? '1' : '0',
    PURSE_SESSION_SECRET: config.sessionSecret ?? '',
    PURSE_SWEEP_SECONDS: String(config.sweepSeconds),
    PURSE_PAYMENTS: config.payments,
    PURSE_SESSION_WRITES_PER_MINUTE: String(config.sessionWritesPerMinute),
  };
  if (config.webhooks) {
    env.PURSE_WEBHOOK_RETRY_BASE_MS = String(config.webhooks.retryBaseMs);
    env.PURSE_WEBHOOK_MAX_FAILURES = String(config.webhooks.maxFailures);
    env.PURSE_WEBHOOK_POLL_MS = String(config.webhooks.pollMs);
    if (config.webhooks.leaseMs !== undefined) env.PURSE_WEBHOOK_LEASE_MS = String(config.webhooks.leaseMs);
  }
  if (config.autoTopUp) {
    env.PURSE_AUTO_TOP_UP_POLL_MS = String(config.autoTopUp.pollMs);
    env.PURSE_AUTO_TOP_UP_COOLDOWN_SECONDS = String(config.autoTopUp.cooldownSeconds);
  }
  if (config.alerts) {
    env.PURSE_LOW_BALANCE = config.alerts.lowBalance.join(',');
    env.PURSE_EXPIRING_SOON_DAYS = String(config.alerts.expiringSoonDays);
  }
  if (config.refundPolicy) env.PURSE_REFUND_POLICY = Object.entries(config.refundPolicy).map(([reason, percent]) => `${reason}=${percent}`).join(',');
  if (config.catalogPath) env.PURSE_CATALOG = config.catalogPath;
  if (config.corsOrigins.length > 0) env.PURSE_CORS_ORIGINS = config.corsOrigins.join(',');
  if (config.stripe) {
    env.STRIPE_SECRET_KEY = config.stripe.secretKey;
    env.STRIPE_WEBHOOK_SECRET = config.stripe.webhookSecret;
    env.PURSE_PUBLIC_URL = config.stripe.publicUrl;
    if (config.stripe.apiBase) env.STRIPE_API_BASE = config.stripe.apiBase;
  }
  return env;
}

async function callOver(
  server: PurseProcess,
  method: string,
  url: string,
  body: unknown,
  opts: { auth?: string | null; headers?: Record<string, string> },
): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const auth = opts.auth === undefined ? TEST_API_KEY : opts.auth;
  if (auth !== null) headers.authorization = `Bearer ${auth}`;
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${server.url}${url}`, { method, headers, body: payload });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: Object.fromEntries(res.headers.entries()) };
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
