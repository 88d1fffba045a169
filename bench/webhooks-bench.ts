/**
 * Webhooks: what the outbox costs a write, and how fast events go out. In-process
 * on SQLite (as sqlite-bench.ts), 50 clients run reserve+complete lifecycles with
 * the delivery worker running at its defaults, once with no endpoint and once
 * with one enabled endpoint subscribed to every type, sending to a local receiver
 * (a separate process answering 204) — two databases side by side, measured in
 * alternating slices of the same run. Then a backlog of events is delivered by
 * one worker and timed.
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { view } from '../src/http/views.js';
import { grantCredits } from '../src/service/grants.js';
import { createEndpoint, startDeliveryWorker, wakeOnEvents } from '../src/service/webhooks.js';
import { startDeliveryThread } from '../src/delivery-thread.js';
import { outboxPath } from '../src/store/sqlite/sqlite-store.js';
import { cpuMs, machineTicks } from './http-bench.js';
import { BENCH_CUSTOMERS, sqlitePurse } from './sqlite-purse.js';

/**
 * Where the ratio's loss goes: lifecycles/s while the clients ran (the worker
 * working beside the API), against the same without an endpoint, and the time
 * from the load's end until the worker had caught up, summed over the slices.
 */
export interface WhileLoaded {
  without: number;
  withEndpoint: number;
  ratio: number;
  catchUpSeconds: { without: number; withEndpoint: number };
}

export interface WebhookFigures {
  seconds: number;
  clients: number;
  /**
   * Lifecycles per second with no endpoint, and with one enabled endpoint taking
   * every type, each until its worker caught up; how many lifecycles ran with
   * the endpoint, the events delivered for them, the most events not yet sent
   * when the load stopped, and this process's CPU time per lifecycle.
   */
  lifecycles: {
    without: number; withEndpoint: number; ratio: number; lifecycles: number; delivered: number; behind: number;
    cpuMicrosEach: { without: number; withEndpoint: number };
    /** The receiver's CPU time (another process on the same machine) per event it took, over the slices with the endpoint. */
    receiverCpuMicrosPerEvent: number | null;
    /** How busy the machine's cores were over each side's slices (1 = every core all the time; Linux only). */
    machineBusy: { without: number; withEndpoint: number } | null;
    whileLoaded: WhileLoaded;
  };
  /** A backlog of `events` events delivered by one worker to the local receiver. */
  delivery: { events: number; seconds: number; perSecond: number; cpuMicrosPerEvent: number };
}

/** The receiver: a separate Node process answering every POST with 204; `GET` answers how many POSTs it took. */
const RECEIVER = `
let n = 0;
require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.method === 'POST') { n++; res.writeHead(204).end(); } else res.end(String(n));
  });
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

async function startReceiver(): Promise<{ url: string; count(): Promise<number>; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  // A bench that fails must not leave its receiver behind.
  process.once('exit', () => child.kill());
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d).trim())));
  const url = `http://127.0.0.1:${port}/hooks`;
  return { url, child, count: async () => Number(await (await fetch(url)).text()) };
}

/** How many times each side is measured, alternately. */
const PAIRS = 4;

async function measure(seconds: number, clients: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  let seq = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        await op(seq++);
        done++;
      }
    }),
  );
  return done / seconds;
}

/**
 * Waits until `ok`, looking every 2 ms: a catch-up is timed to the look that sees
 * it done, and at 20 ms a side still catching up was charged about 10 ms a slice
 * more than one already done (the look itself is two indexed counts).
 */
const until = async (ok: () => Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('webhook bench: deliveries did not finish in time');
    await new Promise((r) => setTimeout(r, 2));
  }
};

/** A Purse in this process on its own SQLite file: 100 customers with plenty of credits, one tool, its delivery worker running; `delivering`: an endpoint will take its events. */
async function setup(dir: string, name: string, delivering: boolean) {
  const path = join(dir, `${name}.db`);
  const { store, ctx, lifecycle } = await sqlitePurse(path);
  // The events are in the ledger's file; the deliveries, and how far the fan-out has read the events, in the outbox's.
  const reader = new Database(path, { readonly: true });
  const outboxReader = new Database(outboxPath(path), { readonly: true });
  const place = outboxReader.prepare('SELECT event_rowid AS n FROM fanout');
  const pending = outboxReader.prepare("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'");
  const undispatched = reader.prepare('SELECT COUNT(*) AS n FROM events WHERE rowid > ?');
  const count = (stmt: Database.Statement, ...params: unknown[]) => (stmt.get(...params) as { n: number }).n;
  // As a server runs it: in a thread of its own (in this event loop only where a thread cannot start).
  const startWorker = async (pollMs?: number) =>
    (await startDeliveryThread(`sqlite:${path}`, pollMs === undefined ? {} : { pollMs }, (m) => console.error(m))) ??
    startDeliveryWorker(ctx, { render: view.event, ...(pollMs === undefined ? {} : { pollMs }) });
  let worker: Awaited<ReturnType<typeof startWorker>> | null = await startWorker();
  // As a server does: a write that made events wakes the worker.
  wakeOnEvents(store, { wake: () => worker?.wake() });
  return {
    ctx,
    lifecycle,
    grant: (i: number) => grantCredits(ctx, `c${i % BENCH_CUSTOMERS}`, { amount: 1, source: 'bonus', reason: 'backlog' }),
    /**
     * What the worker still owes: deliveries not yet made, and, where an endpoint takes
     * events, events not yet fanned out. With no endpoint nothing is owed to anyone: the
     * worker only moves its place in the events, at its idle poll (it is not woken for that).
     */
    outstanding: () => count(pending) + (delivering ? count(undispatched, count(place)) : 0),
    /** Has the worker look for work now rather than at its next poll. */
    wake: () => worker?.wake(),
    /** Starts a worker; with `pollMs`, it first looks for work at `wake()` or that much later. */
    startWorker: async (pollMs?: number) => (worker = await startWorker(pollMs)),
    stopWorker: async () => {
      await worker?.stop();
      worker = null;
    },
    async close() {
      await worker?.stop();
      reader.close();
      outboxReader.close();
      await store.close();
    },
  };
}

export async function webhooksBench(opts: { seconds: number; clients: number; backlog: number }): Promise<WebhookFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'purse-bench-webhooks-'));
  const receiver = await startReceiver();
  const plain = await setup(dir, 'plain', false);
  const hooked = await setup(dir, 'hooked', true);
  try {
    await createEndpoint(hooked.ctx, { url: receiver.url });
    await until(async () => plain.outstanding() + hooked.outstanding() === 0, 30_000);
    await measure(1, opts.clients, plain.lifecycle); // warm-up
    await measure(1, opts.clients, hooked.lifecycle);
    await until(async () => plain.outstanding() + hooked.outstanding() === 0, 60_000);

    // Alternating slices, so drift on a shared machine falls on both. The
    // workers run at their defaults (a look every second). A slice lasts until
    // its worker has caught up: lifecycles run for `slice` seconds, then the
    // worker is woken and the time until every event made is dispatched (and,
    // with the endpoint, delivered) counts too — a worker that fell behind has
    // only put its cost off. `behind` is the most events not yet sent when the
    // load stopped.
    const slice = opts.seconds / PAIRS;
    const done = { without: 0, withEndpoint: 0 };
    const took = { without: 0, withEndpoint: 0 };
    const cpuMicros = { without: 0, withEndpoint: 0 };
    const loaded = { without: 0, withEndpoint: 0 };
    const catchUp = { without: 0, withEndpoint: 0 };
    let behind = 0;
    const busy = { without: 0, withEndpoint: 0 };
    const ticks = { without: 0, withEndpoint: 0 };
    const sentBefore = await receiver.count();
    const receiverCpuBefore = cpuMs(receiver.child.pid!);
    for (const turn of Array.from({ length: PAIRS }, () => ['without', 'withEndpoint'] as const).flat()) {
      const purse = turn === 'without' ? plain : hooked;
      const cpu = process.cpuUsage();
      const machineBefore = machineTicks();
      const started = performance.now();
      done[turn] += (await measure(slice, opts.clients, purse.lifecycle)) * slice;
      const loadEnded = performance.now();
      loaded[turn] += (loadEnded - started) / 1000;
      if (turn === 'withEndpoint') behind = Math.max(behind, purse.outstanding());
      purse.wake();
      await until(async () => purse.outstanding() === 0, 120_000);
      catchUp[turn] += (performance.now() - loadEnded) / 1000;
      took[turn] += (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      cpuMicros[turn] += used.user + used.system;
      const machineAfter = machineTicks();
      if (machineBefore && machineAfter) {
        busy[turn] += machineAfter.busy - machineBefore.busy;
        ticks[turn] += machineAfter.total - machineBefore.total;
      }
    }
    const receiverCpuAfter = cpuMs(receiver.child.pid!);
    const without = done.without / took.without;
    const withEndpoint = done.withEndpoint / took.withEndpoint;
    const lifecycles = Math.round(done.withEndpoint);
    const delivered = (await receiver.count()) - sentBefore;

    // A backlog made with no worker running, then sent by one.
    await hooked.stopWorker();
    let made = 0;
    await Promise.all(
      Array.from({ length: opts.clients }, async () => {
        while (made < opts.backlog) await hooked.grant(made++);
      }),
    );
    // The thread is started (its code loaded, its connection open) before the clock: it then
    // waits for the wake. Timed with its start, a backlog of 5,000 counted about a second of
    // module loading under tsx as delivery, 276 µs of CPU an event against 124 µs with 20,000.
    await hooked.startWorker(3_600_000);
    const before = await receiver.count();
    const cpu = process.cpuUsage();
    const started = performance.now();
    hooked.wake();
    await until(async () => (await receiver.count()) - before >= opts.backlog, 300_000);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return {
      seconds: opts.seconds,
      clients: opts.clients,
      lifecycles: {
        without,
        withEndpoint,
        ratio: withEndpoint / without,
        lifecycles,
        delivered,
        behind,
        cpuMicrosEach: { without: cpuMicros.without / done.without, withEndpoint: cpuMicros.withEndpoint / done.withEndpoint },
        receiverCpuMicrosPerEvent: receiverCpuBefore === null || receiverCpuAfter === null ? null : ((receiverCpuAfter - receiverCpuBefore) * 1000) / Math.max(1, delivered),
        machineBusy: ticks.without > 0 && ticks.withEndpoint > 0 ? { without: busy.without / ticks.without, withEndpoint: busy.withEndpoint / ticks.withEndpoint } : null,
        whileLoaded: {
          without: done.without / loaded.without,
          withEndpoint: done.withEndpoint / loaded.withEndpoint,
          ratio: done.withEndpoint / loaded.withEndpoint / (done.without / loaded.without),
          catchUpSeconds: catchUp,
        },
      },
      delivery: { events: opts.backlog, seconds, perSecond: opts.backlog / seconds, cpuMicrosPerEvent: (used.user + used.system) / opts.backlog },
    };
  } finally {
    await plain.close();
    await hooked.close();
    receiver.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await webhooksBench({ seconds: Number(process.env.BENCH_SECONDS ?? 5), clients: 50, backlog: Number(process.env.BENCH_WEBHOOK_BACKLOG ?? 20_000) }), null, 2));
}
