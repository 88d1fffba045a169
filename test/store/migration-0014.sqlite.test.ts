import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { putTool } from '../../src/service/catalog.js';
import { TestClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { getBalance, putCustomer } from '../../src/service/customers.js';
import { complete, getGeneration, listGenerations, reserve } from '../../src/service/generations.js';
import { grantCredits } from '../../src/service/grants.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'purse-0014-'));
const path = join(dir, 'purse.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `work` on a database whose schema stops before migration 0014, as a database written by the code before it. */
async function beforeMigration14(work: (ctx: ServiceContext) => Promise<void>): Promise<void> {
  const db = new Database(path);
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  // Marked applied so the store leaves it out; taken back out below.
  db.prepare('INSERT INTO schema_migrations VALUES (14, ?, 0)').run('0014_fewer_pages');
  db.close();
  const store = new SqliteStore(path);
  await store.migrate();
  await work({ store, clock: new TestClock() });
  await store.close();
  const after = new Database(path);
  after.prepare('DELETE FROM schema_migrations WHERE version = 14').run();
  after.close();
}

describe('SQLite migration 0014 (fewer pages per write)', () => {
  it('keeps every generation, id and idempotency record written before it', async () => {
    const ids: string[] = [];
    await beforeMigration14(async (ctx) => {
      const old = new Database(path, { readonly: true });
      expect(old.prepare("SELECT name FROM sqlite_master WHERE name IN ('generations_held', 'sqlite_autoindex_generations_1')").all()).toHaveLength(2);
      old.close();
      await putTool(ctx, 'img', { name: 'Image', credits: 3 });
      await putCustomer(ctx, 'c', {});
      await grantCredits(ctx, 'c', { amount: 100, source: 'bonus', reason: 't' });
      for (let i = 0; i < 3; i++) ids.push((await reserve(ctx, { customerId: 'c', toolId: 'img', metadata: { i } })).body.id);
      await complete(ctx, ids[0]!, {});
    });

    const store = new SqliteStore(path);
    await store.migrate();
    const ctx: ServiceContext = { store, clock: new TestClock() };
    try {
      const db = new Database(path, { readonly: true });
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('generations_held', 'sqlite_autoindex_generations_1')").all()).toEqual([]);
      db.close();
      // The same generations, found by id and listed newest first.
      expect((await listGenerations(ctx, 'c', { limit: 10 })).data.map((g) => g.id).sort()).toEqual([...ids].sort());
      expect((await getGeneration(ctx, ids[1]!)).metadata).toEqual({ i: 1 });
      // Idempotency records written before answer repeats after: the reserve and the completion replay.
      const again = await reserve(ctx, { id: ids[0]!, customerId: 'c', toolId: 'img', metadata: { i: 0 } });
      expect([again.replayed, again.body.status]).toEqual([true, 'reserved']);
      expect((await complete(ctx, ids[0]!, {})).replayed).toBe(true);
      // And new writes go on: the holds made before are completed, a new one is made.
      await complete(ctx, ids[1]!, {});
      await reserve(ctx, { customerId: 'c', toolId: 'img' });
      const balance = await getBalance(ctx, 'c');
      expect([balance.available, balance.reserved]).toEqual([100 - 4 * 3, 2 * 3]);
      expect((await store.audit()).problems).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
