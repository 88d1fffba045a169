import Database from 'better-sqlite3';
import type { Row, SqlRunner } from '../sql-store.js';

export type Statement = Database.Statement<unknown[], Record<string, unknown>>;

/** How long a write waits for another connection's write lock before it fails. */
export const BUSY_TIMEOUT_MS = 10_000;
/** Between two tries of a transaction outside the group commit for the write lock. */
export const LOCK_RETRY_MS = 1;

/**
 * One SQLite file opened in WAL mode: its statements, prepared once and kept,
 * and its transactions, one at a time in this process. `syncEachCommit: false`
 * (`synchronous = NORMAL`) only for a connection whose commits can be made again.
 */
export class SqliteConnection implements SqlRunner {
  readonly db: Database.Database;
  private readonly cache = new Map<string, Statement>();
  /** Transactions this process runs on the file outside the write engine, one at a time. */
  private transactions: Promise<unknown> = Promise.resolve();

  constructor(path: string, opts: { syncEachCommit: boolean }) {
    this.db = new Database(path);
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.syncEachCommit ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('foreign_keys = ON');
  }

  sql(text: string): Statement {
    let stmt = this.cache.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text) as Statement;
      this.cache.set(text, stmt);
    }
    return stmt;
  }

  async all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.sql(sql).all(...params);
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.sql(sql).run(...params).changes;
  }

  /**
   * A transaction outside the write engine. Statements here are synchronous
   * underneath, so `work` runs to its end without giving the event loop a turn
   * (the group commit cannot start inside it); a chain of promises keeps this
   * process's own transactions on the file one at a time. `work` gets `runner`
   * (by default this connection).
   */
  transaction<T>(begin: 'BEGIN IMMEDIATE' | 'BEGIN DEFERRED', work: (tx: SqlRunner) => Promise<T>, runner: SqlRunner = this): Promise<T> {
    const run = async () => {
      if (begin === 'BEGIN IMMEDIATE') await this.takeWriteLock();
      else this.db.exec(begin);
      try {
        const result = await work(runner);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    };
    const next = this.transactions.then(run, run);
    this.transactions = next.catch(() => {});
    return next;
  }

  /**
   * BEGIN IMMEDIATE without SQLite's own busy wait, which sleeps the thread in
   * growing steps (1, 2, 5 … 100 ms) while another connection holds the lock: a
   * writer that commits without pause (the API's group commit) would keep a
   * second one (the webhook thread) asleep. Each try here fails at once, and the
   * next comes LOCK_RETRY_MS later, giving the event loop its turns meanwhile.
   * The connection's busy timeout is back in force between tries, for the
   * group commit that may run in them.
   */
  private async takeWriteLock(): Promise<void> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (;;) {
      this.sql('PRAGMA busy_timeout = 0').get();
      try {
        this.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      } finally {
        this.sql(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`).get();
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
    }
  }
}
