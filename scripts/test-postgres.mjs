// Runs the PostgreSQL project of the test suite against PURSE_TEST_DATABASE_URL or the
// local server. Without a server it says so loudly and passes, except in CI (CI=true),
// where a skipped PostgreSQL suite is a failure.
import { spawnSync } from 'node:child_process';
import { postgresReachable } from './postgres-reachable.mjs';

if (!(await postgresReachable('The PostgreSQL suite'))) process.exit(process.env.CI === 'true' ? 1 : 0);

const args = ['vitest', 'run', '--project', 'postgres', '--project', 'postgres-2proc', ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, PURSE_TEST_STORE: 'postgres' } });
process.exit(run.status ?? 1);
