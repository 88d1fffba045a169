/**
 * PostgreSQL: reserves per second with 32 concurrent clients, on one hot customer
 * and across 10,000 customers, through Purse's service and store — beside the
 * naive way most apps hand-roll a balance column: BEGIN; SELECT … FOR UPDATE;
 * UPDATE; INSERT; COMMIT per operation, same pool size, same clients.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { putTool } from '../src/service/catalog.js';
import { systemClock } from '../src/service/clock.js';
import type { ServiceContext } from '../src/service/context.js';
import { putCustomer } from '../src/service/customers.js';
import { reserve } from '../src/service/generations.js';
import { grantCredits } from '../src/service/grants.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';

const ADMIN_URL = process.env.PURSE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CLIENTS = 32;
const POOL = 16;

export interface PgFigures {
  clients: number;
  pool: number;
  seconds: number;
  hot: { purse: number; naive: number; ratio: number; batchSize: number };
  spread: { customers: number; purse: number; naive: number; ratio: number };
}

async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `purse_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** Runs `op` from `clients` concurrent loops for `seconds`; returns completed operations per second. */
async function rate(seconds: number, clients: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  let seq = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < until) {
        await op(seq++);
        done++;
      }
    }),
  );
  return done / seconds;
}

async function naiveSetup(pool: pg.Pool, customers: number): Promise<void> {
  await pool.query('CREATE TABLE naive_balances (customer_id text PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0))');
  await pool.query('CREATE TABLE naive_ledger (id bigserial PRIMARY KEY, customer_id text NOT NULL, amount bigint NOT NULL, created_at bigint NOT NULL)');
  await pool.query("INSERT INTO naive_balances SELECT 'c' || g, 1000000000 FROM generate_series(0, $1 - 1) g", [customers]);
}

async function naiveReserve(pool: pg.Pool, customerId: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query('SELECT balance FROM naive_balances WHERE customer_id = $1 FOR UPDATE', [customerId]);
    if (Number(rows[0].balance) < 1) throw new Error('insufficient');
    await client.query('UPDATE naive_balances SET balance = balance - 1 WHERE customer_id = $1', [customerId]);
    await client.query('INSERT INTO naive_ledger (customer_id, amount, created_at) VALUES ($1, -1, $2)', [customerId, Date.now()]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

export async function pgBench(opts: { seconds: number; customers: number }): Promise<PgFigures> {
  return withDatabase(async (url) => {
    const store = new PostgresStore(url, { max: POOL });
    await store.migrate();
    const ctx: ServiceContext = { store, clock: systemClock };
    await putTool(ctx, 'bench-tool', { name: 'Bench', credits: 1 });
    for (let i = 0; i < opts.customers; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, opts.customers - i) }, async (_, j) => {
          const id = `c${i + j}`;
          await putCustomer(ctx, id, {});
          await grantCredits(ctx, id, { amount: 1_000_000_000, source: 'bonus', reason: 'bench' });
        }),
      );
    }
    const naive = new pg.Pool({ connectionString: url, max: POOL });
    naive.on('error', () => {});
    try {
    await naiveSetup(naive, opts.customers);

    // Warm up, then measure each side on the hot customer and spread over all customers.
    await rate(1, CLIENTS, () => reserve(ctx, { customerId: 'c0', toolId: 'bench-tool' }));
    await rate(1, CLIENTS, () => naiveReserve(naive, 'c0'));
    const before = store.writeStats();
    const hotPurse = await rate(opts.seconds, CLIENTS, () => reserve(ctx, { customerId: 'c0', toolId: 'bench-tool' }));
    const batchSize = (store.writeStats().writes - before.writes) / Math.max(1, store.writeStats().commits - before.commits);
    const hotNaive = await rate(opts.seconds, CLIENTS, () => naiveReserve(naive, 'c0'));
    const pick = () => `c${Math.floor(Math.random() * opts.customers)}`;
    const spreadPurse = await rate(opts.seconds, CLIENTS, () => reserve(ctx, { customerId: pick(), toolId: 'bench-tool' }));
    const spreadNaive = await rate(opts.seconds, CLIENTS, () => naiveReserve(naive, pick()));
    return {
      clients: CLIENTS,
      pool: POOL,
      seconds: opts.seconds,
      hot: { purse: hotPurse, naive: hotNaive, ratio: hotPurse / hotNaive, batchSize },
      spread: { customers: opts.customers, purse: spreadPurse, naive: spreadNaive, ratio: spreadPurse / spreadNaive },
    };
    } finally {
      await naive.end();
      await store.close();
    }
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await pgBench({ seconds: Number(process.env.BENCH_SECONDS ?? 5), customers: Number(process.env.BENCH_CUSTOMERS ?? 10_000) });
  console.log(JSON.stringify(figures, null, 2));
}
