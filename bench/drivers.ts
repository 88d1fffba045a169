/**
 * Which PostgreSQL driver Purse uses: `pg` (node-postgres) against `postgres`
 * (postgres.js), measured on the two statements every write makes — a snapshot
 * read returning JSON and a function call — with 32 concurrent callers over a
 * pool of 10, in one run on this machine. `npm run bench:drivers`.
 */
import pg from 'pg';
import postgres from 'postgres';

const url = process.env.PURSE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = 32;

const SNAPSHOT = `SELECT (SELECT row_to_json(t) FROM (SELECT $1::text AS id, 0::bigint AS version) t) AS customer,
                          (SELECT coalesce(json_agg(g), '[]') FROM generate_series(1, 3) g) AS grants`;

async function measure(name: string, op: (i: number) => Promise<unknown>): Promise<number> {
  const until = Date.now() + SECONDS * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = 0; Date.now() < until; i++) {
        await op(w * 1_000_000 + i);
        done++;
      }
    }),
  );
  const rate = done / SECONDS;
  console.log(`${name.padEnd(34)} ${rate.toFixed(0).padStart(8)} ops/s`);
  return rate;
}

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const sql = postgres(url, { max: 10 });
  await pool.query(`CREATE OR REPLACE FUNCTION purse_bench_apply(p text, v bigint, c jsonb) RETURNS boolean LANGUAGE sql AS 'SELECT true'`);
  // Warm both pools.
  await measure('warm-up pg', (i) => pool.query('SELECT $1::int', [i]));
  await measure('warm-up postgres.js', (i) => sql`SELECT ${i}::int`);
  const results = {
    pgSnapshot: await measure('pg: snapshot read', (i) => pool.query(SNAPSHOT, [`c${i % 100}`])),
    pgPreparedSnapshot: await measure('pg: snapshot read (named, prepared)', (i) => pool.query({ name: 'snapshot', text: SNAPSHOT, values: [`c${i % 100}`] })),
    postgresSnapshot: await measure('postgres.js: snapshot read', (i) => sql.unsafe(SNAPSHOT, [`c${i % 100}`], { prepare: true })),
    pgApply: await measure('pg: function call (jsonb)', (i) => pool.query('SELECT purse_bench_apply($1, $2, $3::jsonb)', [`c${i % 100}`, i, '{"ledger":[]}'])),
    postgresApply: await measure('postgres.js: function call (jsonb)', (i) =>
      sql.unsafe('SELECT purse_bench_apply($1, $2, $3::jsonb)', [`c${i % 100}`, i, '{"ledger":[]}'], { prepare: true }),
    ),
  };
  console.log(
    `postgres.js / pg: snapshot ${(results.postgresSnapshot / results.pgSnapshot).toFixed(2)}× (against pg prepared: ${(results.postgresSnapshot / results.pgPreparedSnapshot).toFixed(2)}×), function call ${(results.postgresApply / results.pgApply).toFixed(2)}×`,
  );
  await pool.query('DROP FUNCTION purse_bench_apply(text, bigint, jsonb)');
  await pool.end();
  await sql.end();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
