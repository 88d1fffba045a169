// npm run test:reliability: the reliability suite, through real server processes, on
// SQLite and on PostgreSQL (PURSE_TEST_DATABASE_URL or the local server).
// PURSE_RELIABILITY_SIZE=ci runs it at the size .ci/run can afford; the default is the full run.
// Without a PostgreSQL server it says so loudly and runs the SQLite half, except in CI (CI=true), where that is a failure.
import { spawnSync } from 'node:child_process';
import { postgresReachable } from './postgres-reachable.mjs';

const reachable = await postgresReachable("The reliability suite's PostgreSQL half");
if (!reachable && process.env.CI === 'true') process.exit(1);

const projects = ['reliability', 'reliability-http', ...(reachable ? ['reliability-http-postgres'] : [])];
const started = Date.now();
const run = spawnSync('npx', ['vitest', 'run', ...projects.flatMap((p) => ['--project', p]), ...process.argv.slice(2)], { stdio: 'inherit' });
console.log(`reliability suite (${process.env.PURSE_RELIABILITY_SIZE === 'ci' ? 'ci' : 'full'} size): ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(run.status ?? 1);
