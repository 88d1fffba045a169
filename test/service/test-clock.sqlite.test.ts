import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestClock } from '../../src/service/clock.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/**
 * The test clock of processes sharing a database: one time for all, however far
 * apart they started (two server processes started seconds apart on a busy
 * machine made a hold outlast an advance of the test clock).
 */
let dir: string;
let store: SqliteStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'purse-clock-'));
  store = new SqliteStore(join(dir, 'purse.db'));
  await store.migrate();
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a clock started later takes the time the first one stored, and an advance on either is seen by both', async () => {
  const first = new TestClock(1_000_000, store);
  await first.start();
  const later = new TestClock(1_005_000, store); // started five seconds after
  await later.start();
  expect(later.now()).toBe(first.now());
  await first.advance(61);
  await later.sync();
  expect(later.now()).toBe(1_061_000);
  await expect(later.set(1_060_000)).rejects.toThrow(/only moves forward/);
});
