import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/**
 * Opens the store a database URL names: `sqlite:PATH`, `sqlite::memory:`, or `postgres://…`,
 * and applies pending migrations unless `migrate` is false (`purse migrate --status` only looks).
 */
export async function openStore(url: string, opts: { migrate?: boolean } = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const store = new SqliteStore(url.slice('sqlite:'.length) || ':memory:');
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
