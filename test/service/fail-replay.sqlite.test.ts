import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { putTool } from '../../src/service/catalog.js';
import { TestClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { putCustomer } from '../../src/service/customers.js';
import { fail, reserve } from '../../src/service/generations.js';
import { grantCredits } from '../../src/service/grants.js';
import { requestHash } from '../../src/service/idempotency.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/**
 * A failure settled before failure reasons were a closed set stored its request
 * as `{reason}`; the same fail repeated after the upgrade replays the first
 * answer instead of being refused as a different request.
 */
let dir: string;
let store: SqliteStore;
let ctx: ServiceContext;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'purse-fail-replay-'));
  store = new SqliteStore(join(dir, 'purse.db'));
  await store.migrate();
  ctx = { store, clock: new TestClock() };
  await putTool(ctx, 'tool', { name: 'Tool', credits: 3 });
  await putCustomer(ctx, 'cus', {});
  await grantCredits(ctx, 'cus', { amount: 10, source: 'bonus', reason: 'test' });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

it.each([
  ['free text', { reason: 'GPU fell over' }, { reason: 'GPU fell over' }],
  ['no reason', {}, { reason: 'failed' }],
])('a fail with %s stored in the old shape replays when repeated', async (_, input, legacyRequest) => {
  const gen = (await reserve(ctx, { customerId: 'cus', toolId: 'tool' })).body;
  const first = await fail(ctx, gen.id, input);
  // As the record was written before the upgrade.
  const raw = new Database(join(dir, 'purse.db'));
  const changed = raw.prepare('UPDATE idempotency_keys SET request_hash = ? WHERE customer_id = ? AND key = ?').run(requestHash(legacyRequest), 'cus', `fail:${gen.id}`).changes;
  raw.close();
  expect(changed).toBe(1);
  const again = await fail(ctx, gen.id, input);
  expect(again.replayed).toBe(true);
  expect(again.body).toEqual(first.body);
  // A different request is still refused.
  await expect(fail(ctx, gen.id, { reason: 'something else' })).rejects.toMatchObject({ code: 'idempotency_conflict' });
});
