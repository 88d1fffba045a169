/**
 * `npm run bench`: every figure beside a baseline measured in the same run on
 * the same machine, as a table and as JSON (bench/results/latest.json plus a
 * dated copy), so runs can be compared. Sizes: BENCH_SECONDS (per measurement),
 * BENCH_HISTORY (ledger sizes, e.g. 0,1000000,10000000), BENCH_CUSTOMERS,
 * BENCH_WEBHOOK_BACKLOG (events in the delivery measurement).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import pg from 'pg';
import { historyBench } from './history-bench.js';
import { httpBench } from './http-bench.js';
import { pgBench } from './pg-bench.js';
import { sqliteBench } from './sqlite-bench.js';
import { sqlitePages } from './sqlite-pages.js';
import { webhooksBench } from './webhooks-bench.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const historySizes = (process.env.BENCH_HISTORY ?? '0,1000000,10000000').split(',').map(Number);
const pgUrl = process.env.PURSE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const rows: { figure: string; purse: string; baseline: string; ratio: string; target: string }[] = [];
const fmt = (n: number) => (n >= 100 || Number.isInteger(n) ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
const row = (figure: string, purse: string, baseline: string, ratio: number | null, target: string) =>
  rows.push({ figure, purse, baseline, ratio: ratio === null ? '' : `${ratio.toFixed(2)}×`, target });

async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

const started = Date.now();
const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform };
console.log(`Purse bench — ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; ${seconds} s per measurement\n`);

const sqlite = await sqliteBench({ seconds, clients: 50 });
const lifecycleCpu = (purse: number, raw: number) => `; CPU ${fmt(purse)} µs against ${fmt(raw)} µs a lifecycle`;
row(
  'SQLite in-process lifecycles/s, 1 client',
  fmt(sqlite.sequential.purse),
  `${fmt(sqlite.sequential.raw)} raw (1 op/txn)${lifecycleCpu(sqlite.sequential.purseCpuMicros, sqlite.sequential.rawCpuMicros)}`,
  sqlite.sequential.ratio,
  '≥ 0.6×',
);
row(
  `SQLite in-process lifecycles/s, 50 clients (${fmt(sqlite.concurrent.opsPerCommit)} writes/commit)`,
  fmt(sqlite.concurrent.purse),
  `${fmt(sqlite.concurrent.raw)} raw (same ops/txn)${lifecycleCpu(sqlite.concurrent.purseCpuMicros, sqlite.concurrent.rawCpuMicros)}`,
  sqlite.concurrent.ratio,
  '≥ 0.25×',
);
// Counted from the WAL, so steady whatever the machine's load (bench/sqlite-pages.ts).
const pages = await sqlitePages({ lifecycles: 1_000, clients: [1, 50] });
row('SQLite WAL pages per write, 1 client (a write a commit)', pages.purse[1]!.perWrite.toFixed(2), `${pages.raw.perWrite.toFixed(2)} raw (an UPDATE and an INSERT)`, pages.purse[1]!.perWrite / pages.raw.perWrite, '');
row('SQLite WAL pages per write, 50 clients (group commit)', pages.purse[50]!.perWrite.toFixed(2), `${pages.raw.perWrite.toFixed(2)} raw (1 op/txn)`, pages.purse[50]!.perWrite / pages.raw.perWrite, '');
row('Balance reads/s (SQLite, in-process)', `${fmt(sqlite.balanceReads.purse)} (p99 ${sqlite.balanceReads.p99ms.toFixed(3)} ms)`, `${fmt(sqlite.balanceReads.raw)} raw SELECT`, sqlite.balanceReads.ratio, '');

const serverCpu = (micros: number | null) => (micros === null ? '' : `, ${micros} µs server CPU/req`);
const http = await httpBench({ seconds: Math.max(seconds, 5), connections: 50 });
row(
  'HTTP lifecycles/s, 50 connections (SQLite)',
  `${fmt(http.purse.lifecyclesPerSecond)} (${fmt(http.purse.requestsPerSecond)} req/s, p50 ${http.purse.p50} ms, p99 ${http.purse.p99} ms${serverCpu(http.purse.cpuMicrosPerRequest)})`,
  `${fmt(http.baseline.requestsPerSecond)} req/s trivial POST (p99 ${http.baseline.p99} ms${serverCpu(http.baseline.cpuMicrosPerRequest)})`,
  http.ratio,
  '≥ 0.6× req/s, p99 ≤ 10 ms',
);

const webhooks = await webhooksBench({ seconds, clients: 50, backlog: Number(process.env.BENCH_WEBHOOK_BACKLOG ?? 20_000) });
row(
  'SQLite in-process lifecycles/s, 50 clients, one webhook endpoint taking every type',
  `${fmt(webhooks.lifecycles.withEndpoint)} (${fmt(webhooks.lifecycles.delivered)} events delivered)`,
  `${fmt(webhooks.lifecycles.without)} without an endpoint`,
  webhooks.lifecycles.ratio,
  '≥ 0.9×',
);
const loadedPart = webhooks.lifecycles.whileLoaded;
row(
  '… of which while the clients ran (catch-up after: with / without an endpoint)',
  `${fmt(loadedPart.withEndpoint)} (${fmt(Math.round(loadedPart.catchUpSeconds.withEndpoint * 1000))} / ${fmt(Math.round(loadedPart.catchUpSeconds.without * 1000))} ms)`,
  `${fmt(loadedPart.without)} without an endpoint`,
  loadedPart.ratio,
  '',
);
const cpuEach = webhooks.lifecycles.cpuMicrosEach;
const busy = webhooks.lifecycles.machineBusy;
const receiverCpu = webhooks.lifecycles.receiverCpuMicrosPerEvent;
row(
  '… CPU a lifecycle: this process (API + delivery thread) + the receiver; machine busy',
  `${fmt(cpuEach.withEndpoint)} + ${receiverCpu === null ? '?' : fmt(receiverCpu)} µs; ${busy ? `${Math.round(busy.withEndpoint * 100)} %` : '?'} of the cores`,
  `${fmt(cpuEach.without)} µs; ${busy ? `${Math.round(busy.without * 100)} %` : '?'} without an endpoint`,
  null,
  '',
);
row(
  'Webhook events delivered/s to a local receiver (SQLite)',
  `${fmt(webhooks.delivery.perSecond)} (${fmt(webhooks.delivery.cpuMicrosPerEvent)} µs CPU each)`,
  `a backlog of ${fmt(webhooks.delivery.events)}`,
  null,
  '',
);

let postgres: Awaited<ReturnType<typeof pgBench>> | null = null;
if (await postgresReachable()) {
  postgres = await pgBench({ seconds, customers: Number(process.env.BENCH_CUSTOMERS ?? 10_000) });
  row(`PostgreSQL reserves/s, 1 hot customer, 32 clients (batch ${fmt(postgres.hot.batchSize)})`, fmt(postgres.hot.purse), `${fmt(postgres.hot.naive)} naive FOR UPDATE`, postgres.hot.ratio, '≥ 10×');
  row(`PostgreSQL reserves/s, ${fmt(postgres.spread.customers)} customers, 32 clients`, fmt(postgres.spread.purse), `${fmt(postgres.spread.naive)} naive FOR UPDATE`, postgres.spread.ratio, '≥ 1.5×');
} else {
  row('PostgreSQL', 'skipped: no server', pgUrl, null, '');
}

const history = await historyBench({ sizes: historySizes, samples: 500 });
const base = history[0]!;
for (const h of history) {
  row(
    `History ${fmt(h.entries)} ledger entries: reserve / balance p50`,
    `${h.reserveP50ms.toFixed(3)} / ${h.balanceP50ms.toFixed(3)} ms (p99 ${h.reserveP99ms.toFixed(3)} / ${h.balanceP99ms.toFixed(3)})`,
    h === base ? 'the baseline' : `${base.reserveP50ms.toFixed(3)} / ${base.balanceP50ms.toFixed(3)} ms at ${fmt(base.entries)}`,
    h === base ? null : h.reserveP50ms / base.reserveP50ms,
    h === base ? '' : '≤ 1.2× at 10M',
  );
}

const widths = Object.keys(rows[0]!).map((k) => Math.max(k.length, ...rows.map((r) => r[k as keyof (typeof rows)[0]].length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
console.log(line(['figure', 'purse', 'baseline', 'ratio', 'target']));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line([r.figure, r.purse, r.baseline, r.ratio, r.target]));

const results = { at: new Date().toISOString(), seconds: (Date.now() - started) / 1000, machine, sqlite, sqlitePages: pages, http, webhooks, postgres, history };
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', JSON.stringify(results, null, 2));
writeFileSync(`bench/results/${results.at.replace(/[:.]/g, '-')}.json`, JSON.stringify(results, null, 2));
console.log(`\nWrote bench/results/latest.json (${results.seconds.toFixed(0)} s).`);
