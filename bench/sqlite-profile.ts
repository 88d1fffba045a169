/**
 * The SQLite in-process lifecycles alone, for a CPU profile: CLIENTS concurrent
 * clients (default 50) run N reserve+complete lifecycles (default 20,000); prints
 * the rate and the process's CPU time per lifecycle.
 *
 *   CLIENTS=50 N=10000 node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/sqlite-profile.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqlitePurse } from './sqlite-purse.js';

const dir = mkdtempSync(join(tmpdir(), 'purse-prof-'));
const { store, lifecycle } = await sqlitePurse(join(dir, 'purse.db'));
const clients = Number(process.env.CLIENTS ?? 50);
const n = Number(process.env.N ?? 20_000);
let seq = 0;
const cpu = process.cpuUsage();
const started = performance.now();
await Promise.all(
  Array.from({ length: clients }, async () => {
    while (seq < n) await lifecycle(seq++);
  }),
);
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ clients, lifecycles: n, seconds, perSecond: n / seconds, cpuMicrosPerLifecycle: (used.user + used.system) / n }));
await store.close();
rmSync(dir, { recursive: true, force: true });
