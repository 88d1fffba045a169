/**
 * Citus against plain PostgreSQL on the same instance (issue 17): reserve+complete
 * lifecycles over HTTP (httpBench: 50 connections, 200 customers) on a fresh
 * migrated and distributed database on the coordinator, and on a fresh plain
 * database of the coordinator's own server, in alternating rounds so that load
 * from elsewhere falls on both; then one `purse_apply` at a time on one connection
 * (a reservation, which inserts a generation, and its completion) on each.
 * Not part of `npm run bench`: it needs a Citus cluster. Run it against the
 * coordinator, with the workers it has added, as the tests do (test/pg.ts):
 *
 *   PURSE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5450/postgres \
 *   PURSE_TEST_CITUS_WORKERS=127.0.0.1:5451,127.0.0.1:5452 \
 *   nice -n 10 npx tsx bench/citus-bench.ts
 *
 * BENCH_SECONDS (15) per measured run, BENCH_ROUNDS (2), BENCH_APPLY_CALLS (200) of each kind.
 */
import pg from 'pg';
import { createTestDatabase } from '../test/pg.js';
import { putTool } from '../src/service/catalog.js';
import { systemClock } from '../src/service/clock.js';
import type { ServiceContext } from '../src/service/context.js';
import { putCustomer } from '../src/service/customers.js';
import { complete, reserve } from '../src/service/generations.js';
import { grantCredits } from '../src/service/grants.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { httpBench } from './http-bench.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const APPLY_CALLS = Number(process.env.BENCH_APPLY_CALLS ?? 200);
const KINDS = ['citus', 'plain'] as const;
type Kind = (typeof KINDS)[number];

async function onFreshDatabase<T>(kind: Kind, work: (url: string) => Promise<T>): Promise<T> {
  const db = await createTestDatabase({ distributed: kind === 'citus' });
  try {
    return await work(db.url);
  } finally {
    await db.drop();
  }
}

/** Milliseconds of each `purse_apply` call, sequential on one connection: reservations (a new generation each) and their completions. */
async function applyTimes(url: string): Promise<{ reserve: number[]; complete: number[] }> {
  const store = new PostgresStore(url, { max: 1 });
  await store.migrate();
  const ctx: ServiceContext = { store, clock: systemClock };
  await putTool(ctx, 'bench-tool', { name: 'Bench', credits: 1 });
  await putCustomer(ctx, 'apply-0', {});
  await grantCredits(ctx, 'apply-0', { amount: 1_000_000_000, source: 'bonus', reason: 'bench' });
  const times = { reserve: [] as number[], complete: [] as number[] };
  let into: number[] | null = null;
  // Timed on every pool: on Citus the call goes straight to the customer's node (citus-nodes.ts).
  const proto = pg.Pool.prototype as unknown as { query: (...args: unknown[]) => Promise<unknown> };
  const query = proto.query;
  proto.query = async function (this: pg.Pool, ...args: unknown[]) {
    if ((args[0] as pg.QueryConfig).name !== 'purse_apply' || into === null) return query.apply(this, args);
    const start = performance.now();
    try {
      return await query.apply(this, args);
    } finally {
      into.push(performance.now() - start);
    }
  };
  try {
    for (let i = 0; i < APPLY_CALLS + 10; i++) {
      const warm = i < 10;
      into = warm ? null : times.reserve;
      await reserve(ctx, { id: `apply-${i}`, customerId: 'apply-0', toolId: 'bench-tool' });
      into = warm ? null : times.complete;
      await complete(ctx, `apply-${i}`, {});
    }
    return times;
  } finally {
    proto.query = query;
    await store.close();
  }
}

function summary(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2));
  return { calls: ms.length, p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

const lifecycles: Record<Kind, number[]> = { citus: [], plain: [] };
for (let round = 0; round < ROUNDS; round++) {
  // Each round starts with the other kind than the round before.
  for (const kind of round % 2 === 0 ? KINDS : [...KINDS].reverse()) {
    const f = await onFreshDatabase(kind, (url) => httpBench({ seconds: SECONDS, connections: 50, databaseUrl: url }));
    lifecycles[kind].push(Math.round(f.purse.lifecyclesPerSecond));
    console.log(JSON.stringify({ round: round + 1, kind, lifecyclesPerSecond: Math.round(f.purse.lifecyclesPerSecond), p50: f.purse.p50, p99: f.purse.p99, errors: f.purse.errors, non2xx: f.purse.non2xx }));
  }
}
const total = (k: Kind) => lifecycles[k].reduce((a, b) => a + b, 0);
console.log(JSON.stringify({ lifecyclesPerSecond: lifecycles, ratio: Number((total('citus') / total('plain')).toFixed(2)) }));
for (const kind of KINDS) {
  const t = await onFreshDatabase(kind, applyTimes);
  console.log(JSON.stringify({ kind, purseApplyMs: { reserve: summary(t.reserve), complete: summary(t.complete) } }));
}
