import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { testDatabase } from '../helpers.js';
import { ON_POSTGRES } from '../pg.js';
import { storeConformanceSuite } from './conformance-suite.js';

/** The suite on the store this project runs on: SQLite, or PostgreSQL in the `postgres` project. */
const dir = mkdtempSync(join(tmpdir(), 'purse-conformance-'));
let db: Awaited<ReturnType<typeof testDatabase>> | null = null;
let store: Store | null = null;

async function open() {
  db ??= await testDatabase(dir);
  store ??= await openStore(db.url);
  const url = db.url;
  return {
    store,
    second: () => openStore(url),
    rawExec: async (sql: string) => {
      if (url.startsWith('sqlite:')) {
        const raw = new Database(url.slice('sqlite:'.length));
        try {
          raw.exec(sql);
        } finally {
          raw.close();
        }
        return;
      }
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
  };
}

afterAll(async () => {
  await store?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

storeConformanceSuite(ON_POSTGRES ? 'PostgreSQL' : 'SQLite', open);
