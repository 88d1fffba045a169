/**
 * SQLite in-process: reserve+complete lifecycles per second through Purse's
 * services and store (WAL, synchronous=FULL, group commit), beside raw
 * better-sqlite3 doing one UPDATE and one INSERT per operation with the same
 * pragmas and the same number of operations per transaction.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBalance } from '../src/service/customers.js';
import { BENCH_CUSTOMERS, sqlitePurse } from './sqlite-purse.js';

export interface SqliteFigures {
  seconds: number;
  /** Rates, and the process's CPU time per lifecycle in microseconds (steadier than rates on a shared machine). */
  sequential: { purse: number; raw: number; ratio: number; purseCpuMicros: number; rawCpuMicros: number };
  concurrent: { clients: number; purse: number; opsPerCommit: number; raw: number; ratio: number; purseCpuMicros: number; rawCpuMicros: number };
  balanceReads: { purse: number; p99ms: number; raw: number; ratio: number };
}

/** Loops `op` from `clients` concurrent callers for `seconds`; operations per second and latencies. */
async function measure(seconds: number, clients: number, op: (i: number) => Promise<unknown>): Promise<{ rate: number; latencies: number[]; cpuMicros: number }> {
  const cpu = process.cpuUsage();
  const until = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let seq = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await op(seq++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { rate: latencies.length / seconds, latencies, cpuMicros: (used.user + used.system) / Math.max(1, latencies.length) };
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] ?? 0;

/** The baseline: a balance column and a ledger table, one UPDATE and one INSERT per operation, `perTxn` operations per transaction. */
function rawBaseline(path: string, seconds: number, perTxn: number): { writes: number; reads: number; cpuMicros: number } {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE balances (customer_id TEXT PRIMARY KEY, balance INTEGER NOT NULL); CREATE TABLE ledger (id INTEGER PRIMARY KEY, customer_id TEXT NOT NULL, amount INTEGER NOT NULL, created_at INTEGER NOT NULL)');
  db.prepare('INSERT INTO balances VALUES (?, ?)').run('c', 1e12);
  const update = db.prepare('UPDATE balances SET balance = balance + ? WHERE customer_id = ?');
  const insert = db.prepare('INSERT INTO ledger (customer_id, amount, created_at) VALUES (?, ?, ?)');
  const select = db.prepare('SELECT balance FROM balances WHERE customer_id = ?');
  const txn = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) {
      update.run(-1, 'c');
      insert.run('c', -1, Date.now());
    }
  });
  let ops = 0;
  const cpu = process.cpuUsage();
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    txn(perTxn);
    ops += perTxn;
  }
  const used = process.cpuUsage(cpu);
  let reads = 0;
  const readUntil = performance.now() + Math.min(seconds, 2) * 1000;
  while (performance.now() < readUntil) {
    select.get('c');
    reads++;
  }
  db.close();
  // A lifecycle is two operations (reserve, complete).
  return { writes: ops / seconds / 2, reads: reads / Math.min(seconds, 2), cpuMicros: ((used.user + used.system) * 2) / ops };
}

export async function sqliteBench(opts: { seconds: number; clients: number }): Promise<SqliteFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'purse-bench-sqlite-'));
  const { store, ctx, lifecycle } = await sqlitePurse(join(dir, 'purse.db'));
  try {
    await measure(1, opts.clients, lifecycle); // warm-up
    const sequential = await measure(opts.seconds, 1, lifecycle);
    const before = store.writeStats();
    const concurrent = await measure(opts.seconds, opts.clients, lifecycle);
    const opsPerCommit = (store.writeStats().writes - before.writes) / Math.max(1, store.writeStats().commits - before.commits);
    const reads = await measure(Math.min(opts.seconds, 3), 1, (i) => getBalance(ctx, `c${i % BENCH_CUSTOMERS}`));

    const rawSequential = rawBaseline(join(dir, 'raw-1.db'), opts.seconds, 1);
    const rawGrouped = rawBaseline(join(dir, 'raw-n.db'), opts.seconds, Math.max(1, Math.round(opsPerCommit)));
    return {
      seconds: opts.seconds,
      sequential: {
        purse: sequential.rate, raw: rawSequential.writes, ratio: sequential.rate / rawSequential.writes,
        purseCpuMicros: sequential.cpuMicros, rawCpuMicros: rawSequential.cpuMicros,
      },
      concurrent: {
        clients: opts.clients, purse: concurrent.rate, opsPerCommit, raw: rawGrouped.writes, ratio: concurrent.rate / rawGrouped.writes,
        purseCpuMicros: concurrent.cpuMicros, rawCpuMicros: rawGrouped.cpuMicros,
      },
      balanceReads: { purse: reads.rate, p99ms: p99(reads.latencies), raw: rawSequential.reads, ratio: reads.rate / rawSequential.reads },
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await sqliteBench({ seconds: Number(process.env.BENCH_SECONDS ?? 5), clients: 50 }), null, 2));
}
