import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** How an opened store may be used. */
export interface OpenOptions {
  /** Apply pending migrations first (default); false only looks (`purse migrate --status`). */
  migrate?: boolean;
  /**
   * False for a connection that writes only what can be made again: the webhook
   * delivery worker's bookkeeping, where a commit lost to a power cut (never to a
   * process crash) only sends an event once more. Its commits then do not wait
   * for the disk (SQLite `synchronous = NORMAL`, PostgreSQL
   * `synchronous_commit = off`), and hold SQLite's one write lock for less time.
   * Neither setting can corrupt the database; the ledger's connection keeps the default.
   */
  syncEachCommit?: boolean;
}

/** Opens the store a database URL names: `sqlite:PATH`, `sqlite::memory:`, or `postgres://…`. */
export async function openStore(url: string, opts: OpenOptions = {}): Promise<Store> {
  const syncEachCommit = opts.syncEachCommit ?? true;
  if (url.startsWith('sqlite:')) {
    const path = sqlitePath(url);
    if (path !== ':memory:') createOwnerOnly(path);
    const store = new SqliteStore(path, { syncEachCommit });
    if (opts.migrate ?? true) await store.migrate();
    return store;
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const store = new PostgresStore(url, { syncEachCommit });
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
