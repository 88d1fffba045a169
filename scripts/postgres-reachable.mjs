// Whether the PostgreSQL server the tests use answers: PURSE_TEST_DATABASE_URL, else the local one.
// Prints a loud banner naming `what` when it does not.
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.PURSE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function postgresReachable(what) {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    const banner = '!'.repeat(78);
    console.error(`\n${banner}\n  ${what} was SKIPPED: no server at ${TEST_DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}\n  (${err.message})\n  Set PURSE_TEST_DATABASE_URL to run it.\n${banner}\n`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
