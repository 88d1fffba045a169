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
import { putTool } from '../src/service/catalog.js';
import { systemClock } from '../src/service/clock.js';
import type { ServiceContext } from '../src/service/context.js';
import { putCustomer } from '../src/service/customers.js';
import { complete, reserve } from '../src/service/generations.js';
import { grantCredits } from '../src/service/grants.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'purse-prof-'));
const store = new SqliteStore(join(dir, 'purse.db'));
await store.migrate();
const ctx: ServiceContext = { store, clock: systemClock };
await putTool(ctx, 'bench-tool', { name: 'Bench', credits: 1 });
const customers = 100;
for (let i = 0; i < customers; i++) {
  await putCustomer(ctx, `c${i}`, {});
  await grantCredits(ctx, `c${i}`, { amount: 1_000_000_000, source: 'bonus', reason: 'bench' });
}
const clients = Number(process.env.CLIENTS ?? 50);
const n = Number(process.env.N ?? 20_000);
let seq = 0;
const cpu = process.cpuUsage();
const started = performance.now();
await Promise.all(
  Array.from({ length: clients }, async () => {
    while (seq < n) {
      const i = seq++;
      const gen = await reserve(ctx, { customerId: `c${i % customers}`, toolId: 'bench-tool' });
      await complete(ctx, gen.body.id, {});
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ clients, lifecycles: n, seconds, perSecond: n / seconds, cpuMicrosPerLifecycle: (used.user + used.system) / n }));
await store.close();
rmSync(dir, { recursive: true, force: true });
