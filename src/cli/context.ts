import { resolve } from 'node:path';
import { redactDatabaseUrl } from '../config.js';
import type { ServiceContext } from '../service/context.js';
import { systemClock, TestClock } from '../service/clock.js';
import { openStore, sqlitePath } from '../store/open-store.js';
import type { Store } from '../store/store.js';

/** Where a command writes, and the database it works on. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
}

/** A command's failure that the operator can act on: printed as one line, exit code 1 (2 for a usage error). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * The database URL as it may be printed: a SQLite file as an absolute path, a
 * PostgreSQL URL without its password.
 */
export function describeDatabase(url: string): string {
  if (url.startsWith('sqlite:')) {
    const path = sqlitePath(url);
    return path === ':memory:' ? 'sqlite::memory:' : `sqlite:${resolve(path)}`;
  }
  return redactDatabaseUrl(url);
}

/**
 * Opens the store as the server does (applying pending migrations) with the
 * server's clock: the test clock kept in the database when PURSE_TEST_CLOCK=1.
 */
export async function openService(url: string, env: NodeJS.ProcessEnv): Promise<ServiceContext & { store: Store }> {
  const store = await openStore(url);
  if (env.PURSE_TEST_CLOCK === '1' || env.PURSE_TEST_CLOCK === 'true') {
    const clock = new TestClock(Date.now(), store);
    await clock.start();
    return { store, clock };
  }
  return { store, clock: systemClock };
}
