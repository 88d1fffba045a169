import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY, uid } from '../helpers.js';
import { ON_POSTGRES } from '../pg.js';
import { spawnPurse, type PurseProcess } from '../process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const exec = promisify(execFile);

/** Customers the load spreads over, and concurrent clients writing. */
const CUSTOMERS = 12;
const WORKERS = 12;

/** Runs the real `purse` command in its own process. */
async function purse(databaseUrl: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...argv], {
      cwd: ROOT,
      env: { ...process.env, PURSE_DATABASE_URL: databaseUrl },
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

describe.skipIf(ON_POSTGRES)('purse backup and restore on SQLite', () => {
  let dir: string;
  let server: PurseProcess;
  let liveUrl: string;

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'purse-backup-'));
    liveUrl = `sqlite:${join(dir, 'live.db')}`;
    server = await spawnPurse({ PURSE_DATABASE_URL: liveUrl, PURSE_API_KEY: TEST_API_KEY, PURSE_PAYMENTS: 'sandbox', PURSE_SWEEP_SECONDS: '1' });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies a live database while a server process writes to it; the restored copy passes the ledger check and equals the source at one instant', async () => {
    const toolId = uid('tool');
    expect((await api('PUT', `/v1/tools/${toolId}`, { name: 'Tool', credits: 3, holdSeconds: 600 })).status).toBe(201);
    const customers = Array.from({ length: CUSTOMERS }, () => uid('cus'));
    for (const id of customers) {
      await api('PUT', `/v1/customers/${id}`, { name: id });
      await api('POST', `/v1/customers/${id}/grants`, { amount: 1_000_000, source: 'bonus', reason: 'load' });
    }

    // Load: reserve, then complete (some with fewer units), fail, or leave held; now and then a grant.
    let running = true;
    const acknowledged: number[] = [];
    const reservedAt = new Map<string, number>();
    let i = 0;
    const worker = async () => {
      while (running) {
        const customerId = customers[i++ % customers.length]!;
        if (i % 17 === 0) {
          const g = await api('POST', `/v1/customers/${customerId}/grants`, { amount: 5, source: 'bonus', reason: 'during backup' });
          expect(g.status).toBe(201);
          acknowledged.push(Date.now());
          continue;
        }
        const gen = await api('POST', '/v1/generations', { customerId, toolId, units: 1 + (i % 3) });
        expect(gen.status).toBe(201);
        acknowledged.push(Date.now());
        reservedAt.set(gen.body.id, Date.now());
        const settle = i % 4;
        if (settle === 3) continue;
        const res = settle === 2 ? await api('POST', `/v1/generations/${gen.body.id}/fail`, {}) : await api('POST', `/v1/generations/${gen.body.id}/complete`, settle === 1 ? { units: 1 } : {});
        expect(res.status).toBe(200);
        acknowledged.push(Date.now());
      }
    };
    const workers = Array.from({ length: WORKERS }, worker);
    while (acknowledged.length < 1500) await new Promise((r) => setTimeout(r, 50));

    const backupFile = join(dir, 'backup.db');
    const started = Date.now();
    const backup = await purse(liveUrl, 'backup', backupFile);
    const ended = Date.now();
    expect(backup.err).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.out).toContain(`Backed up to ${backupFile}`);
    // Owner-only: it holds hashed keys and the session secret.
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    const during = acknowledged.filter((t) => t >= started && t <= ended).length;
    expect(during).toBeGreaterThan(0);
    const afterBackup = acknowledged.length;
    while (acknowledged.length < afterBackup + 200) await new Promise((r) => setTimeout(r, 20));
    running = false;
    await Promise.all(workers);

    // Restore into a new file, and check the books there.
    const restoredUrl = `sqlite:${join(dir, 'restored.db')}`;
    const restored = await purse(restoredUrl, 'restore', backupFile);
    expect(restored.err).toBe('');
    expect(restored.code).toBe(0);
    expect(statSync(restoredUrl.slice('sqlite:'.length)).mode & 0o777).toBe(0o600);
    const check = await purse(restoredUrl, 'ledger', 'check');
    expect(check.code).toBe(0);
    expect(check.out).toContain('Every balance equals its ledger.');

    // One consistent instant: the copy's ledger is exactly the first entries of the source's,
    // and every grant's credits and every customer's held credits are what those entries add up to.
    const source = new Database(liveUrl.slice('sqlite:'.length), { readonly: true });
    const copy = new Database(restoredUrl.slice('sqlite:'.length), { readonly: true });
    try {
      const copied = copy.prepare('SELECT * FROM ledger_entries ORDER BY id').all() as { id: number; customer_id: string; grant_id: string; available_delta: number; reserved_delta: number }[];
      const last = copied[copied.length - 1]!.id;
      const sourcePrefix = source.prepare('SELECT * FROM ledger_entries WHERE id <= ? ORDER BY id').all(last);
      const sourceTotal = (source.prepare('SELECT count(*) AS n FROM ledger_entries').get() as { n: number }).n;
      expect(copied).toEqual(sourcePrefix);
      expect(copied.length).toBeGreaterThan(3 * CUSTOMERS);
      expect(copied.length).toBeLessThan(sourceTotal);

      const available = new Map<string, number>();
      const reserved = new Map<string, number>();
      for (const e of copied) {
        available.set(e.grant_id, (available.get(e.grant_id) ?? 0) + e.available_delta);
        reserved.set(e.customer_id, (reserved.get(e.customer_id) ?? 0) + e.reserved_delta);
      }
      const grants = copy.prepare('SELECT id, remaining FROM grants').all() as { id: string; remaining: number }[];
      expect(grants.length).toBe(available.size);
      for (const g of grants) expect(g.remaining, g.id).toBe(available.get(g.id));
      const held = copy.prepare("SELECT customer_id, sum(cost) AS held FROM generations WHERE status = 'reserved' GROUP BY customer_id").all() as { customer_id: string; held: number }[];
      for (const c of customers) expect(held.find((h) => h.customer_id === c)?.held ?? 0, c).toBe(reserved.get(c) ?? 0);
      // It holds everything acknowledged before the backup began (a copy of the file alone would
      // miss what is still in the write-ahead log).
      const before = [...reservedAt].filter(([, at]) => at < started).map(([id]) => id);
      expect(before.length).toBeGreaterThan(500);
      const has = copy.prepare('SELECT 1 FROM generations WHERE id = ?');
      expect(before.filter((id) => !has.get(id))).toEqual([]);
      // Every generation the copy has is the source's as it was then: the ones the copy calls settled are settled the same way now.
      const settled = copy.prepare("SELECT id, status, charged FROM generations WHERE status != 'reserved'").all() as { id: string; status: string; charged: number }[];
      const now = source.prepare('SELECT status, charged FROM generations WHERE id = ?');
      for (const g of settled) expect(now.get(g.id)).toEqual({ status: g.status, charged: g.charged });
    } finally {
      source.close();
      copy.close();
    }

    // A server starts on the restored copy and shows the same balances.
    const second = await spawnPurse({ PURSE_DATABASE_URL: restoredUrl, PURSE_API_KEY: TEST_API_KEY, PURSE_PAYMENTS: 'sandbox' });
    try {
      const res = await fetch(`${second.url}/v1/customers/${customers[0]}/balance`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
      expect(res.status).toBe(200);
      const copyDb = new Database(restoredUrl.slice('sqlite:'.length), { readonly: true });
      const remaining = (copyDb.prepare('SELECT sum(remaining) AS n FROM grants WHERE customer_id = ?').get(customers[0]) as { n: number }).n;
      copyDb.close();
      expect(((await res.json()) as { available: number }).available).toBe(remaining);
    } finally {
      await second.stop();
    }
  });

  it('copies what is still only in the write-ahead log (a plain cp of the file would miss the tables)', async () => {
    const fresh = `sqlite:${join(dir, 'fresh.db')}`;
    const other = await spawnPurse({ PURSE_DATABASE_URL: fresh, PURSE_API_KEY: TEST_API_KEY, PURSE_PAYMENTS: 'sandbox' });
    try {
      const customerId = uid('cus');
      const headers = { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' };
      await fetch(`${other.url}/v1/customers/${customerId}`, { method: 'PUT', headers, body: JSON.stringify({ name: 'Fresh' }) });
      const grant = await fetch(`${other.url}/v1/customers/${customerId}/grants`, { method: 'POST', headers, body: JSON.stringify({ amount: 42, source: 'bonus', reason: 'welcome' }) });
      expect(grant.status).toBe(201);
      const endpoint = await fetch(`${other.url}/v1/webhook-endpoints`, { method: 'POST', headers, body: JSON.stringify({ url: 'http://127.0.0.1:9/hooks' }) });
      expect(endpoint.status).toBe(201);
      const { id: endpointId, secret } = (await endpoint.json()) as { id: string; secret: string };
      const backupFile = join(dir, 'fresh-backup.db');
      expect((await purse(fresh, 'backup', backupFile)).code).toBe(0);
      // The delivery worker's file (endpoints and their secrets) is copied beside the ledger's, owner-only too.
      expect(statSync(`${backupFile}-outbox`).mode & 0o777).toBe(0o600);
      const restoredUrl = `sqlite:${join(dir, 'fresh-restored.db')}`;
      expect((await purse(restoredUrl, 'restore', backupFile)).code).toBe(0);
      const shown = await purse(restoredUrl, 'customers', 'show', customerId);
      expect(shown.code).toBe(0);
      expect(shown.out).toContain('available 42, reserved 0');
      const outbox = new Database(`${restoredUrl.slice('sqlite:'.length)}-outbox`, { readonly: true });
      try {
        expect(outbox.prepare('SELECT id, secret FROM webhook_endpoints').all()).toEqual([{ id: endpointId, secret }]);
      } finally {
        outbox.close();
      }
    } finally {
      await other.stop();
    }
  });

  it('refuses to restore over a database a server has open, or over an existing file without --force', async () => {
    const backupFile = join(dir, 'refuse.db');
    expect((await purse(liveUrl, 'backup', backupFile)).code).toBe(0);
    const over = await purse(liveUrl, 'restore', backupFile);
    expect(over.code).toBe(1);
    expect(over.err).toContain('--force');
    const live = await purse(liveUrl, 'restore', backupFile, '--force');
    expect(live.code).toBe(1);
    expect(live.err).toContain('stop the server');

    // With nothing holding it open, --force replaces an existing file.
    const other = `sqlite:${join(dir, 'other.db')}`;
    expect((await purse(other, 'keys', 'create', 'before the restore')).code).toBe(0);
    const forced = await purse(other, 'restore', backupFile, '--force');
    expect(forced.code).toBe(0);
    expect((await purse(other, 'keys', 'list')).out).not.toContain('before the restore');
    expect((await purse(other, 'ledger', 'check')).code).toBe(0);
  });

  it('refuses a file that is not a Purse database', async () => {
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database at all, just text');
    const res = await purse(`sqlite:${join(dir, 'never.db')}`, 'restore', junk);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/not a (SQLite|Purse) database/);
    expect((await purse(`sqlite:${join(dir, 'never.db')}`, 'backup', join(dir, 'x.db'))).err).toContain('there is no database');
  });
});

describe.runIf(ON_POSTGRES)('purse backup and restore on PostgreSQL', () => {
  it('points to pg_dump and pg_restore instead, and changes nothing', async () => {
    const url = 'postgres://purse:s3cret@127.0.0.1:5432/purse_nowhere';
    for (const cmd of [['backup', 'x.dump'], ['restore', 'x.dump']]) {
      const res = await purse(url, ...cmd);
      expect(res.code).toBe(1);
      expect(res.out).toContain('Database: postgres://purse:***@127.0.0.1:5432/purse_nowhere');
      expect(res.out + res.err).not.toContain('s3cret');
      expect(res.err).toContain(cmd[0] === 'backup' ? 'pg_dump' : 'pg_restore');
    }
  });
});
