import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEST_DATABASE_URL } from '../scripts/postgres-reachable.mjs';

/** The server tests use: PURSE_TEST_DATABASE_URL, else the local one. */
export const ADMIN_URL = TEST_DATABASE_URL;

/** True when the tests run on PostgreSQL (the `postgres` vitest project). */
export const ON_POSTGRES = process.env.PURSE_TEST_STORE === 'postgres';

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Citus workers (`host:port,host:port`) when ADMIN_URL is a Citus coordinator:
 * each test file's database is then made on every node with the extension,
 * migrated and laid out by `purse distribute`, so the tests run distributed.
 */
const CITUS_WORKERS = (process.env.PURSE_TEST_CITUS_WORKERS ?? '').split(',').filter(Boolean);

async function onServer(url: string, sql: string[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const statement of sql) await c.query(statement);
  } finally {
    await c.end();
  }
}

function workerUrl(worker: string, name: string): string {
  const u = new URL(withDatabase(ADMIN_URL, name));
  u.host = worker;
  return u.toString();
}

/**
 * Makes a fresh database for one test file and returns its URL and how to drop it.
 * `distributed: false` makes a plain one even on a Citus coordinator (bench/citus-bench.ts
 * compares the two on one instance).
 */
export async function createTestDatabase(opts: { distributed?: boolean } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `purse_test_${randomBytes(6).toString('hex')}`;
  await onServer(ADMIN_URL, [`CREATE DATABASE ${name}`]);
  const url = withDatabase(ADMIN_URL, name);
  if (opts.distributed ?? CITUS_WORKERS.length > 0) await distributedDatabase(name, url);
  return {
    url,
    async drop() {
      await onServer(ADMIN_URL, [`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
      for (const w of CITUS_WORKERS) await onServer(workerUrl(w, 'postgres'), [`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
    },
  };
}

async function distributedDatabase(name: string, url: string): Promise<void> {
  const [{ PostgresStore }, { distribute }] = await Promise.all([import('../src/store/postgres/postgres-store.js'), import('../src/store/postgres/distribute.js')]);
  for (const w of CITUS_WORKERS) {
    await onServer(workerUrl(w, 'postgres'), [`CREATE DATABASE ${name}`]);
    await onServer(workerUrl(w, name), ['CREATE EXTENSION citus']);
  }
  const coordinator = new URL(url);
  await onServer(url, [
    'CREATE EXTENSION citus',
    `SELECT citus_set_coordinator_host('${coordinator.hostname}', ${Number(coordinator.port || 5432)})`,
    ...CITUS_WORKERS.map((w) => `SELECT citus_add_node('${w.split(':')[0]}', ${Number(w.split(':')[1] ?? 5432)})`),
  ]);
  const store = new PostgresStore(url);
  try {
    await store.migrate();
    await distribute(store.pool);
  } finally {
    await store.close();
  }
}
