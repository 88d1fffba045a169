import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/**
 * Opens the store a database URL names: `sqlite:PATH`, `sqlite::memory:`, or `postgres://…`,
 * and applies pending migrations unless `migrate` is false (`purse migrate --status` only looks).
 */
export async function openStore(url: string, opts: { migrate?: boolean } = {}): Promise<Store> {
  const store = openAdapter(url);
  if (opts.migrate ?? true) await store.migrate();
  return store;
}

function openAdapter(url: string): Store {
  if (url.startsWith('sqlite:')) return new SqliteStore(sqlitePath(url));
  if (/^postgres(ql)?:\/\//.test(url)) return new PostgresStore(url);
  throw new Error(`Purse has no adapter for ${url.split(':')[0]}; use sqlite:PATH or postgres://…`);
}

/** The file a `sqlite:` URL names (`:memory:` for none). */
export function sqlitePath(url: string): string {
  return url.slice('sqlite:'.length) || ':memory:';
}
