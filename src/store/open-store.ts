import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/**
 * Opens the store a database URL names: `sqlite:PATH`, `sqlite::memory:`, or `postgres://…`,
 * and applies pending migrations unless `migrate` is false (`purse migrate --status` only looks).
 */
export async function openStore(url: string, opts: { migrate?: boolean } = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const path = sqlitePath(url);
    if (path !== ':memory:') createOwnerOnly(path);
    const store = new SqliteStore(path);
    if (opts.migrate ?? true) await store.migrate();
    return store;
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const store = new PostgresStore(url);
    if (opts.migrate ?? true) await store.migrate();
    return store;
  }
  throw new Error(`Purse has no adapter for ${url.split(':')[0]}; use sqlite:PATH or postgres://…`);
}

/** The file a `sqlite:` URL names (`:memory:` for none). */
export function sqlitePath(url: string): string {
  return url.slice('sqlite:'.length) || ':memory:';
}

/**
 * Creates a new SQLite database file owner-only (0600) in a folder made
 * owner-only (0700): it holds the ledger and, unless PURSE_SESSION_SECRET is
 * set, the session-signing secret. SQLite gives its -wal and -shm files the
 * database file's mode. Existing files and folders are left as they are.
 */
function createOwnerOnly(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
}
