import type pg from 'pg';

/** A client taken from the pool, and how to give it back. */
export interface CheckedOut {
  client: pg.PoolClient;
  /** Returns the client to the pool, or has the pool destroy it if its connection broke while out. */
  release(): void;
}

/**
 * Takes a client from the pool for work that needs one connection (a
 * transaction, the migration lock). node-postgres emits `error` on a client
 * whose connection the server ends (a restart, a failover), and the pool
 * listens only while a client is idle: a checked-out client without a listener
 * would end the process (or the delivery thread) with an uncaught error. The
 * queries in flight fail on their own; the broken client is released with its
 * error, so the pool drops it rather than lending it out again.
 */
export async function checkout(pool: pg.Pool): Promise<CheckedOut> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  return {
    client,
    release() {
      client.removeListener('error', onError);
      client.release(broken);
    },
  };
}
