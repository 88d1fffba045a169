import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkout } from '../../src/store/postgres/checkout.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createTestDatabase } from '../pg.js';

/*
 * A connection the server ends while a client is checked out (a restart, a
 * failover, an administrator's pg_terminate_backend) must fail that client's
 * work, not the process: node-postgres emits `error` on the client, and an
 * unheard `error` is an uncaught exception (vitest fails the run on one).
 */

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let store: PostgresStore;

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PostgresStore(db.url);
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
});

it('a checked-out client whose connection the server ends fails its work, and the pool lends a new one', async () => {
  const held = await checkout(store.pool);
  const pid = Number((await held.client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  await held.client.query('BEGIN');
  const ended = new Promise((resolve) => held.client.once('end', resolve));
  await store.pool.query('SELECT pg_terminate_backend($1::integer)', [pid]);
  await ended;
  await expect(held.client.query('SELECT 1')).rejects.toThrow();
  held.release();

  // The broken client was dropped: the next checkout is a live connection with another backend.
  const next = await checkout(store.pool);
  const other = Number((await next.client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  next.release();
  expect(other).not.toBe(pid);
  expect((await store.pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
});
