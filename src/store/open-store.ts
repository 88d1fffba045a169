import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Opens the store a database URL names: `sqlite:PATH`, `sqlite::memory:`, or `postgres://…`. */
export async function openStore(url: string): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const store = new SqliteStore(url.slice('sqlite:'.length) || ':memory:');
    await store.migrate();
    return store;
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const store = new PostgresStore(url);
    await store.migrate();
    return store;
  }
  throw new Error(`Purse has no adapter for ${url.split(':')[0]}; use sqlite:PATH or postgres://…`);
}
