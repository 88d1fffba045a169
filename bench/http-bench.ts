/**
 * HTTP: reserve+complete lifecycles per second through the real server in its
 * own process (separate reserve and complete calls, 50 connections, autocannon),
 * beside the same server's trivial JSON POST route measured the same way.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KEY = 'sk_bench_key';

export interface HttpFigures {
  connections: number;
  seconds: number;
  purse: { requestsPerSecond: number; lifecyclesPerSecond: number; p50: number; p99: number; errors: number; non2xx: number; cpuMicrosPerRequest: number | null };
  baseline: { requestsPerSecond: number; p50: number; p99: number; cpuMicrosPerRequest: number | null };
  ratio: number;
}

async function startServer(env: Record<string, string>) {
  // BENCH_PROFILE=<dir>: the server writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'bench/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', PURSE_DEMO: '0', PURSE_PAYMENTS: 'sandbox', PURSE_API_KEY: KEY, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { url, cpuMs: () => cpuMs(child.pid!), stop: () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) };
}

/**
 * CPU time (user + system, every thread) the server process has used, from
 * /proc (Linux; null elsewhere): per request it is a steadier measure than
 * requests per second on a shared machine.
 */
export function cpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * The whole machine's busy and total CPU time so far, in clock ticks summed over
 * its cores, from /proc/stat (Linux; null elsewhere): busy is everything but
 * idle and waiting for the disk.
 */
export function machineTicks(): { busy: number; total: number } | null {
  try {
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    return { busy: total - ticks[3]! - ticks[4]!, total };
  } catch {
    return null;
  }
}

/** Runs `opts` against the server and adds the server's CPU time per request. */
async function measured(server: { cpuMs(): number | null }, opts: autocannon.Options) {
  const before = server.cpuMs();
  const result = await run(opts);
  const after = server.cpuMs();
  const cpuMicrosPerRequest = before === null || after === null ? null : Math.round(((after - before) * 1000) / result.requests.total);
  return { result, cpuMicrosPerRequest };
}

async function api(url: string, method: string, path: string, body: unknown) {
  const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

export async function httpBench(opts: { seconds: number; connections: number; databaseUrl?: string }): Promise<HttpFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'purse-bench-http-'));
  const server = await startServer({ PURSE_DATABASE_URL: opts.databaseUrl ?? `sqlite:${join(dir, 'purse.db')}` });
  try {
    const customers = 200;
    await api(server.url, 'PUT', '/v1/tools/bench-tool', { name: 'Bench', credits: 1 });
    for (let i = 0; i < customers; i++) {
      await api(server.url, 'PUT', `/v1/customers/bench-${i}`, {});
      await api(server.url, 'POST', `/v1/customers/bench-${i}/grants`, { amount: 100_000_000, source: 'bonus', reason: 'bench' });
    }
    const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    let seq = 0;
    const lifecycle: autocannon.Options = {
      url: server.url,
      connections: opts.connections,
      duration: opts.seconds,
      headers,
      requests: [
        {
          method: 'POST',
          path: '/v1/generations',
          setupRequest: (req, context: any) => {
            context.id = `bench-${process.pid}-${seq++}`;
            return { ...req, body: JSON.stringify({ id: context.id, customerId: `bench-${seq % customers}`, toolId: 'bench-tool' }) };
          },
        },
        {
          method: 'POST',
          setupRequest: (req, context: any) => ({ ...req, path: `/v1/generations/${context.id}/complete`, body: '{}' }),
        },
      ],
    };
    const echo: autocannon.Options = {
      url: `${server.url}/bench/echo`,
      method: 'POST',
      connections: opts.connections,
      duration: opts.seconds,
      headers,
      body: JSON.stringify({ id: 'bench-0-0', customerId: 'bench-1', toolId: 'bench-tool' }),
    };
    // Warm both paths, then measure them back to back.
    await run({ ...lifecycle, duration: 2 });
    await run({ ...echo, duration: 2 });
    const { result: purse, cpuMicrosPerRequest: purseCpu } = await measured(server, lifecycle);
    const { result: baseline, cpuMicrosPerRequest: baselineCpu } = await measured(server, echo);
    const rps = purse.requests.average;
    return {
      connections: opts.connections,
      seconds: opts.seconds,
      purse: { requestsPerSecond: rps, lifecyclesPerSecond: rps / 2, p50: purse.latency.p50, p99: purse.latency.p99, errors: purse.errors, non2xx: purse.non2xx, cpuMicrosPerRequest: purseCpu },
      baseline: { requestsPerSecond: baseline.requests.average, p50: baseline.latency.p50, p99: baseline.latency.p99, cpuMicrosPerRequest: baselineCpu },
      ratio: rps / baseline.requests.average,
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await httpBench({ seconds: Number(process.env.BENCH_SECONDS ?? 10), connections: 50 });
  console.log(JSON.stringify(figures, null, 2));
}
