import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, readConfig, redactDatabaseUrl } from '../src/config.js';
import { openStore } from '../src/store/open-store.js';
import { TEST_API_KEY, uid } from './helpers.js';
import { ADMIN_URL, createTestDatabase, ON_POSTGRES } from './pg.js';
import { spawnPurse } from './process.js';

// Issue 10, "Safe in production": what a start refuses, prints and creates.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'a-session-secret-of-at-least-32-bytes';

/** Runs `node --import tsx src/main.ts` until it exits (or 30 s pass), with only `env` besides PATH. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after 30 s:\n${out}\n${err}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** A refused start: non-zero exit, one line on stderr, no stack trace, nothing else printed. */
function expectOneLine(run: { code: number | null; out: string; err: string }, pattern: RegExp) {
  expect(run.code, run.err).not.toBe(0);
  expect(run.out).toBe('');
  const lines = run.err.trim().split('\n');
  expect(lines, run.err).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(run.err).not.toMatch(/\n\s+at /);
}

describe.runIf(!ON_POSTGRES)('configuration (items 4, 7, 8, 15)', () => {
  const base = { PURSE_PAYMENTS: 'sandbox', PURSE_DEMO: '0' };
  it('outside demo mode, needs PURSE_PAYMENTS; in demo mode (npm start) needs nothing', () => {
    expect(() => readConfig({ PURSE_DEMO: '0' })).toThrow(/PURSE_PAYMENTS/);
    expect(() => readConfig({})).toThrow(ConfigError);
    expect(readConfig({ npm_lifecycle_event: 'start' })).toMatchObject({ demo: true, payments: 'sandbox' });
    expect(readConfig({ PURSE_DEMO: '1' }).payments).toBe('sandbox');
    expect(readConfig(base).payments).toBe('sandbox');
  });
  it('refuses a PURSE_API_KEY that is not a secret key, and a short PURSE_SESSION_SECRET', () => {
    expect(() => readConfig({ ...base, PURSE_API_KEY: 'my-key' })).toThrow(/PURSE_API_KEY.*sk_/);
    expect(readConfig({ ...base, PURSE_API_KEY: 'sk_live_1' }).apiKey).toBe('sk_live_1');
    expect(() => readConfig({ ...base, PURSE_SESSION_SECRET: 'x'.repeat(31) })).toThrow(/PURSE_SESSION_SECRET.*32 bytes/);
    expect(readConfig({ ...base, PURSE_SESSION_SECRET: 'x'.repeat(32) }).sessionSecret).toBe('x'.repeat(32));
  });
  it('reads the rate limit and the metrics port', () => {
    expect(readConfig(base)).toMatchObject({ sessionWritesPerMinute: 60, metricsPort: null });
    expect(readConfig({ ...base, PURSE_SESSION_WRITES_PER_MINUTE: '0', PURSE_METRICS_PORT: '9464' })).toMatchObject({ sessionWritesPerMinute: 0, metricsPort: 9464 });
    expect(() => readConfig({ ...base, PURSE_SESSION_WRITES_PER_MINUTE: '-1' })).toThrow(ConfigError);
  });
  it('reads the webhook lease: a minute unless PURSE_WEBHOOK_LEASE_MS says otherwise, never under a second', () => {
    expect(readConfig(base).webhooks).toMatchObject({ leaseMs: 60_000 });
    expect(readConfig({ ...base, PURSE_WEBHOOK_LEASE_MS: '2000' }).webhooks).toMatchObject({ leaseMs: 2_000 });
    expect(() => readConfig({ ...base, PURSE_WEBHOOK_LEASE_MS: '999' })).toThrow(/PURSE_WEBHOOK_LEASE_MS/);
  });
  it('reads PURSE_REFUND_POLICY as reason=percent pairs and refuses anything else', () => {
    expect(readConfig(base).refundPolicy).toEqual({});
    expect(readConfig({ ...base, PURSE_REFUND_POLICY: 'safety_blocked=30, user_canceled=0' }).refundPolicy).toEqual({ safety_blocked: 30, user_canceled: 0 });
    for (const bad of ['safety_blocked=101', 'crashed=50', 'timeout', 'timeout=5,timeout=6', 'timeout=-1', 'timeout=1.5', '{"timeout":50}']) {
      expect(() => readConfig({ ...base, PURSE_REFUND_POLICY: bad }), bad).toThrow(/^PURSE_REFUND_POLICY must be reason=percent pairs/);
    }
  });

  it('redacts the password of a database URL', () => {
    expect(redactDatabaseUrl('postgres://purse:s3cr%40t@db.internal:5432/purse')).toBe('postgres://purse:***@db.internal:5432/purse');
    expect(redactDatabaseUrl('postgresql://purse@db/purse')).toBe('postgresql://purse@db/purse');
    expect(redactDatabaseUrl('sqlite:./data/purse.db')).toBe('sqlite:./data/purse.db');
  });
});

describe.runIf(!ON_POSTGRES)('the SQLite database file (item 8)', () => {
  it('is created owner-only (0600) in a folder created owner-only (0700)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'purse-mode-'));
    try {
      const path = join(dir, 'new', 'purse.db');
      const store = await openStore(`sqlite:${path}`);
      await store.close();
      expect(statSync(join(dir, 'new')).mode & 0o777).toBe(0o700);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(!ON_POSTGRES)('a start (items 4, 7, 12, 15)', () => {
  let dir: string;
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'purse-start-'));
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  const sqlite = () => `sqlite:${join(dir, `${uid('db')}.db`)}`;

  it('refuses without PURSE_PAYMENTS outside demo mode, in one line', async () => {
    expectOneLine(await runMain({ PURSE_DATABASE_URL: sqlite(), PURSE_DEMO: '0' }), /PURSE_PAYMENTS=stripe.*PURSE_PAYMENTS=sandbox/);
  });

  it('refuses a PURSE_API_KEY without sk_, in one line', async () => {
    expectOneLine(await runMain({ PURSE_DATABASE_URL: sqlite(), PURSE_DEMO: '0', PURSE_PAYMENTS: 'sandbox', PURSE_API_KEY: 'letmein' }), /PURSE_API_KEY.*sk_/);
  });

  it('refuses a PURSE_REFUND_POLICY it cannot read, in one line', async () => {
    expectOneLine(await runMain({ PURSE_DATABASE_URL: sqlite(), PURSE_DEMO: '0', PURSE_PAYMENTS: 'sandbox', PURSE_REFUND_POLICY: 'safety_blocked=half' }), /PURSE_REFUND_POLICY must be reason=percent pairs.*"safety_blocked=half"/);
  });

  it('says so when the port is in use', async () => {
    expectOneLine(await runMain({ PURSE_DATABASE_URL: sqlite(), PURSE_DEMO: '0', PURSE_PAYMENTS: 'sandbox', PORT: String(busyPort) }), new RegExp(`Port ${busyPort} .*already in use.*PORT`));
  });

  it('says so when PostgreSQL is down, without printing its password', async () => {
    const run = await runMain({ PURSE_DATABASE_URL: 'postgres://purse:s3cret-pw@127.0.0.1:1/purse', PURSE_DEMO: '0', PURSE_PAYMENTS: 'sandbox' });
    expectOneLine(run, /Cannot reach PostgreSQL at 127\.0\.0\.1:1 .*PURSE_DATABASE_URL/);
    expect(run.err).not.toContain('s3cret-pw');
  });

  it('with the sandbox outside demo mode, says purchases are free; /metrics on its own port when asked', async () => {
    const server = await spawnPurse({ PURSE_DATABASE_URL: sqlite(), PURSE_API_KEY: TEST_API_KEY, PURSE_SESSION_SECRET: SECRET, PURSE_METRICS_PORT: '0' });
    try {
      expect(server.output()).toMatch(/sandbox: purchases are free/);
      const metricsUrl = /Metrics: (http:\/\/\S+\/metrics)/.exec(server.output())![1]!;
      expect(metricsUrl).not.toContain(server.url);
      const scraped = await fetch(metricsUrl);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('purse_http_request_duration_seconds');
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  it('in demo mode (npm start) needs no settings and says nothing about free purchases', async () => {
    const server = await spawnPurse({ PURSE_DATABASE_URL: sqlite(), PURSE_DEMO: '1', PURSE_PAYMENTS: '' });
    try {
      expect(server.output()).toContain('with the demo catalog');
      expect(server.output()).not.toMatch(/purchases are free/);
    } finally {
      await server.stop();
    }
  });
});

describe.runIf(ON_POSTGRES)('a start on PostgreSQL (items 7, 15)', () => {
  const withPassword = (url: string) => {
    const u = new URL(url);
    u.password = 's3cret-pw';
    return u.toString();
  };

  it('prints the database URL without its password', async () => {
    const db = await createTestDatabase();
    try {
      const server = await spawnPurse({ PURSE_DATABASE_URL: withPassword(db.url), PURSE_API_KEY: TEST_API_KEY, PURSE_SESSION_SECRET: SECRET });
      await server.stop();
      expect(server.output()).toContain(':***@');
      expect(server.output()).not.toContain('s3cret-pw');
    } finally {
      await db.drop();
    }
  });

  it('says so when the database does not exist', async () => {
    const u = new URL(withPassword(ADMIN_URL));
    const name = `purse_missing_${uid('db').slice(3)}`;
    u.pathname = `/${name}`;
    const run = await runMain({ PURSE_DATABASE_URL: u.toString(), PURSE_DEMO: '0', PURSE_PAYMENTS: 'sandbox' });
    expectOneLine(run, new RegExp(`database "${name}" does not exist .*createdb ${name}`));
    expect(run.err).not.toContain('s3cret-pw');
  });
});
