import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { putTool } from '../../src/service/catalog.js';
import { TestClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { putCustomer } from '../../src/service/customers.js';
import { reserve } from '../../src/service/generations.js';
import { grantCredits } from '../../src/service/grants.js';
import { createEndpoint } from '../../src/service/webhooks.js';
import { loadMigrations } from '../../src/store/migrations.js';
import { outboxPath, SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { DisableRule } from '../../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'purse-outbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DISABLE: DisableRule = { maxFailures: 1000, windowMs: 3 * 86_400_000, reason: () => 'failing' };
const tables = (db: Database.Database) => (db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name").all() as { name: string }[]).map((r) => r.name);
const place = (path: string) => {
  const db = new Database(outboxPath(path), { readonly: true });
  try {
    return (db.prepare('SELECT event_rowid FROM fanout').get() as { event_rowid: number }).event_rowid;
  } finally {
    db.close();
  }
};

/** A database as Purse wrote it before the outbox had a file of its own: migrations up to 0014, the webhook tables in the ledger's file. */
function databaseBefore0015(path: string): Database.Database {
  const db = new Database(path);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const m of loadMigrations('sqlite').filter((m) => m.version < 15)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
  }
  return db;
}

describe('SQLite keeps the delivery worker’s tables in a file of their own', () => {
  it('moves an older database’s endpoints, deliveries and attempts there, and goes on from its oldest undispatched event', async () => {
    const path = join(dir, 'upgraded.db');
    const old = databaseBefore0015(path);
    const event = old.prepare("INSERT INTO events (customer_id, seq, id, type, created_at, data, dispatched) VALUES ('c', ?, ?, 'credits.granted', ?, '{}', ?)");
    // a: dispatched, its delivery pending; b: dispatched and delivered; c: not yet dispatched; d: dispatched after c and delivered.
    [['evt_a', 1], ['evt_b', 1], ['evt_c', 0], ['evt_d', 1]].forEach(([id, dispatched], i) => event.run(i + 1, id, 1000 + i, dispatched));
    old.prepare("INSERT INTO webhook_endpoints (id, url, secret, status, created_at, updated_at) VALUES ('we_1', 'http://127.0.0.1:9/hooks', 'whsec_AAAA', 'enabled', 0, 0)").run();
    const delivery = old.prepare("INSERT INTO webhook_deliveries (id, endpoint_id, event_id, customer_id, status, attempts, next_attempt_at, created_at, updated_at) VALUES (?, 'we_1', ?, 'c', ?, ?, 0, 0, 0)");
    delivery.run('evt_a:we_1', 'evt_a', 'pending', 0);
    delivery.run('evt_b:we_1', 'evt_b', 'succeeded', 1);
    delivery.run('evt_d:we_1', 'evt_d', 'succeeded', 1);
    old.prepare("INSERT INTO webhook_attempts (id, delivery_id, endpoint_id, event_id, attempt, status_code, latency_ms, at) VALUES ('wha_1', 'evt_b:we_1', 'we_1', 'evt_b', 1, 204, 3, 5)").run();
    old.close();

    const store = new SqliteStore(path);
    await store.migrate();
    try {
      const ledger = new Database(path, { readonly: true });
      expect(tables(ledger).filter((t) => t.startsWith('webhook_') || t === 'events_undispatched')).toEqual([]);
      ledger.close();
      expect(place(path)).toBe(2); // after b: c is the oldest event not yet dispatched
      expect((await store.listWebhookEndpoints()).map((e) => [e.id, e.secret])).toEqual([['we_1', 'whsec_AAAA']]);
      expect((await store.listWebhookAttempts('we_1', { limit: 10 })).map((a) => a.id)).toEqual(['wha_1']);

      // The turn sends a's pending delivery and makes c's; d's, already delivered, is kept and not sent again.
      const turn = await store.deliveryTurn([], Date.now(), 64, 60_000, DISABLE);
      expect(turn.deliveries.map((d) => d.id).sort()).toEqual(['evt_a:we_1', 'evt_c:we_1']);
      expect(turn.dispatched).toBe(2);
      expect(place(path)).toBe(4);
      const outbox = new Database(outboxPath(path), { readonly: true });
      expect(outbox.prepare("SELECT status FROM webhook_deliveries WHERE id = 'evt_d:we_1'").get()).toEqual({ status: 'succeeded' });
      outbox.close();
    } finally {
      await store.close();
    }
  });

  it('a delivery turn writes nothing to the ledger’s file, so it never holds the lock the API’s writes take', async () => {
    const path = join(dir, 'apart.db');
    const store = new SqliteStore(path);
    await store.migrate();
    const ctx: ServiceContext = { store, clock: new TestClock() };
    const watcher = new Database(path, { readonly: true });
    // PRAGMA data_version changes when another connection commits to the file.
    const version = () => watcher.pragma('data_version', { simple: true });
    try {
      await createEndpoint(ctx, { url: 'http://127.0.0.1:9/hooks' });
      await putTool(ctx, 'img', { name: 'Image', credits: 1 });
      await putCustomer(ctx, 'c', {});
      await grantCredits(ctx, 'c', { amount: 10, source: 'bonus', reason: 't' });
      let before = version();
      await reserve(ctx, { customerId: 'c', toolId: 'img' });
      expect(version()).not.toBe(before); // the watch sees a write to the ledger's file

      before = version();
      const turn = await store.deliveryTurn([], Date.now(), 64, 60_000, DISABLE);
      expect(turn.deliveries.length).toBeGreaterThan(0);
      const sent = turn.deliveries.map((d) => ({
        attempt: { id: `wha_${d.id}`, deliveryId: d.id, endpointId: d.endpointId, eventId: d.eventId, attempt: 1, statusCode: 204, error: null, latencyMs: 1, at: Date.now() },
        delivery: { ...d, status: 'succeeded' as const, attempts: 1, lockedUntil: null },
      }));
      await store.deliveryTurn(sent, Date.now(), 64, 60_000, DISABLE);
      expect(version()).toBe(before);
      expect(existsSync(outboxPath(path))).toBe(true);
    } finally {
      watcher.close();
      await store.close();
    }
  });

  it('a ledger older than its outbox (restored from an earlier backup) has the fan-out go on from its newest event', async () => {
    const path = join(dir, 'restored.db');
    let store = new SqliteStore(path);
    await store.migrate();
    let ctx: ServiceContext = { store, clock: new TestClock() };
    await createEndpoint(ctx, { url: 'http://127.0.0.1:9/hooks' });
    await putCustomer(ctx, 'c', {});
    await grantCredits(ctx, 'c', { amount: 10, source: 'bonus', reason: 't' });
    await store.deliveryTurn([], Date.now(), 64, 60_000, DISABLE);
    const newest = place(path);
    expect(newest).toBeGreaterThan(0);
    await store.close();
    // The outbox as if it had read events the ledger no longer holds.
    const outbox = new Database(outboxPath(path));
    outbox.prepare('UPDATE fanout SET event_rowid = ?').run(newest + 50);
    outbox.close();

    store = new SqliteStore(path);
    await store.migrate();
    ctx = { store, clock: new TestClock() };
    try {
      expect(place(path)).toBe(newest);
      await grantCredits(ctx, 'c', { amount: 5, source: 'bonus', reason: 'after the restore' });
      const turn = await store.deliveryTurn([], Date.now(), 64, 60_000, DISABLE);
      expect(turn.deliveries).toHaveLength(1);
      expect(turn.events.get(turn.deliveries[0]!.eventId)?.type).toBe('credits.granted');
    } finally {
      await store.close();
    }
  });
});
