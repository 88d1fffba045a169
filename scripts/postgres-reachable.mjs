// The PostgreSQL server the tests use (PURSE_TEST_DATABASE_URL, else the local one), and
// whether it answers. The one statement of both, for the test runners and the tests.
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.PURSE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Why the server does not answer, or null when it does. */
export async function postgresProblem() {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err.message;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Whether the server answers; when it does not, prints a loud banner naming `what`. */
export async function postgresReachable(what) {
  const problem = await postgresProblem();
  if (problem === null) return true;
  const banner = '!'.repeat(78);
  console.error(`\n${banner}\n  ${what} was SKIPPED: no server at ${TEST_DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}\n  (${problem})\n  Set PURSE_TEST_DATABASE_URL to run it.\n${banner}\n`);
  return false;
}
