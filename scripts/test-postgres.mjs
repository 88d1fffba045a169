// Runs the PostgreSQL project of the test suite against PURSE_TEST_DATABASE_URL or the
// local server. Without a server it says so loudly and passes, except in CI (CI=true),
// where a skipped PostgreSQL suite is a failure.
import { spawnSync } from 'node:child_process';
import pg from 'pg';

const url = process.env.PURSE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
let reachable = true;
try {
  await client.connect();
  await client.query('SELECT 1');
} catch (err) {
  reachable = false;
  const banner = '!'.repeat(78);
  console.error(`\n${banner}\n  The PostgreSQL suite was SKIPPED: no server at ${url.replace(/:[^:@/]*@/, ':***@')}\n  (${err.message})\n  Set PURSE_TEST_DATABASE_URL to run it.\n${banner}\n`);
} finally {
  await client.end().catch(() => {});
}
if (!reachable) process.exit(process.env.CI === 'true' ? 1 : 0);

const args = ['vitest', 'run', '--project', 'postgres', '--project', 'postgres-2proc', ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, PURSE_TEST_STORE: 'postgres' } });
process.exit(run.status ?? 1);
