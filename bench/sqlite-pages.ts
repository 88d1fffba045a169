/**
 * Pages written per commit on SQLite, counted exactly from the WAL: the same
 * reserve+complete lifecycles as bench/sqlite-bench.ts, one write per commit (1
 * client) and in groups (50 clients), with the automatic checkpoint off, then
 * each frame of the WAL read back and named by the table or index its page
 * belongs to (SQLite's `dbstat`). Beside it the raw baseline (one UPDATE and one
 * INSERT per operation). Deterministic up to the ids' randomness, unlike the
 * throughput figures.
 *
 *   npx tsx bench/sqlite-pages.ts            # a table
 *   BENCH_PAGES_JSON=1 npx tsx bench/sqlite-pages.ts
 */
import Database from 'better-sqlite3';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqlitePurse } from './sqlite-purse.js';

export interface PageFigures {
  /** WAL frames (pages) per commit, and per write (a reserve or a complete). */
  perCommit: number;
  perWrite: number;
  commits: number;
  writes: number;
  /** Distinct pages in the WAL per write: what the checkpoint copies into the database file. */
  checkpointedPerWrite: number;
  /** The checkpoint's time per write, in microseconds (copying those pages and an fsync of the file). */
  checkpointMicrosPerWrite: number;
  /** Frames by the table or index their page belongs to, per write. */
  byTree: Record<string, number>;
}

const WAL_HEADER = 32;
const FRAME_HEADER = 24;

/** Every frame's page number in a WAL file, and how many frames end a transaction. */
function walFrames(path: string): { pages: number[]; commits: number } {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(WAL_HEADER);
    readSync(fd, head, 0, WAL_HEADER, 0);
    const pageSize = head.readUInt32BE(8);
    const frames = Math.floor((statSync(path).size - WAL_HEADER) / (FRAME_HEADER + pageSize));
    const pages: number[] = [];
    let commits = 0;
    const frameHead = Buffer.alloc(FRAME_HEADER);
    for (let i = 0; i < frames; i++) {
      readSync(fd, frameHead, 0, FRAME_HEADER, WAL_HEADER + i * (FRAME_HEADER + pageSize));
      pages.push(frameHead.readUInt32BE(0));
      if (frameHead.readUInt32BE(4) !== 0) commits++;
    }
    return { pages, commits };
  } finally {
    closeSync(fd);
  }
}

/** Runs `work` with the automatic checkpoint off on `db`, then counts the frames its commits wrote. */
async function countFrames(db: Database.Database, walPath: string, writes: number, work: () => Promise<void>): Promise<PageFigures> {
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 0');
  await work();
  const { pages, commits } = walFrames(walPath);
  const names = new Map<number, string>();
  for (const r of db.prepare('SELECT name, pageno FROM dbstat').all() as { name: string; pageno: number }[]) names.set(r.pageno, r.name);
  const byTree: Record<string, number> = {};
  for (const p of pages) {
    const name = names.get(p) ?? (p === 1 ? 'sqlite_schema' : 'freelist/new');
    byTree[name] = (byTree[name] ?? 0) + 1 / writes;
  }
  const t = performance.now();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const checkpointMicrosPerWrite = ((performance.now() - t) * 1000) / writes;
  db.pragma('wal_autocheckpoint = 1000');
  return {
    perCommit: pages.length / commits,
    perWrite: pages.length / writes,
    commits,
    writes,
    checkpointedPerWrite: new Set(pages).size / writes,
    checkpointMicrosPerWrite,
    byTree,
  };
}

export async function sqlitePages(opts: { lifecycles: number; clients: number[] }): Promise<{ purse: Record<number, PageFigures>; raw: PageFigures }> {
  const dir = mkdtempSync(join(tmpdir(), 'purse-bench-pages-'));
  const path = join(dir, 'purse.db');
  const { store, lifecycle } = await sqlitePurse(path);
  const db = (store as unknown as { db: Database.Database }).db;
  try {
    let seq = 0;
    const run = async (clients: number, n: number) => {
      let left = n;
      await Promise.all(Array.from({ length: clients }, async () => {
        while (left-- > 0) await lifecycle(seq++);
      }));
    };
    // Warm: the tables hold some history, as a live database does.
    await run(50, 5_000);
    const purse: Record<number, PageFigures> = {};
    for (const clients of opts.clients) purse[clients] = await countFrames(db, `${path}-wal`, opts.lifecycles * 2, () => run(clients, opts.lifecycles));

    const rawDb = new Database(join(dir, 'raw.db'));
    rawDb.pragma('journal_mode = WAL');
    rawDb.pragma('synchronous = FULL');
    rawDb.exec('CREATE TABLE balances (customer_id TEXT PRIMARY KEY, balance INTEGER NOT NULL); CREATE TABLE ledger (id INTEGER PRIMARY KEY, customer_id TEXT NOT NULL, amount INTEGER NOT NULL, created_at INTEGER NOT NULL)');
    rawDb.prepare('INSERT INTO balances VALUES (?, ?)').run('c', 1e12);
    const update = rawDb.prepare('UPDATE balances SET balance = balance + ? WHERE customer_id = ?');
    const insert = rawDb.prepare('INSERT INTO ledger (customer_id, amount, created_at) VALUES (?, ?, ?)');
    const op = rawDb.transaction(() => {
      update.run(-1, 'c');
      insert.run('c', -1, Date.now());
    });
    for (let i = 0; i < 10_000; i++) op();
    const raw = await countFrames(rawDb, join(dir, 'raw.db-wal'), opts.lifecycles * 2, async () => {
      for (let i = 0; i < opts.lifecycles * 2; i++) op();
    });
    rawDb.close();
    return { purse, raw };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await sqlitePages({ lifecycles: Number(process.env.BENCH_LIFECYCLES ?? 1_000), clients: [1, 50] });
  if (process.env.BENCH_PAGES_JSON) console.log(JSON.stringify(figures, null, 2));
  else {
    const show = (label: string, f: PageFigures) => {
      console.log(`${label}: ${f.perCommit.toFixed(2)} pages/commit, ${f.perWrite.toFixed(2)} pages/write (${f.writes} writes, ${f.commits} commits); the checkpoint copies ${f.checkpointedPerWrite.toFixed(2)} pages/write in ${f.checkpointMicrosPerWrite.toFixed(0)} µs/write`);
      for (const [name, n] of Object.entries(f.byTree).sort((a, b) => b[1] - a[1])) console.log(`  ${name.padEnd(36)} ${n.toFixed(2)}`);
    };
    for (const [clients, f] of Object.entries(figures.purse)) show(`Purse, ${clients} client(s)`, f);
    show('raw (1 op/txn)', figures.raw);
  }
}
