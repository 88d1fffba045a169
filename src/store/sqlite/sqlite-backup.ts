import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Pages copied per step of SQLite's online backup: all of them. One step is one
 * read transaction on the source, so the copy is the database as of one commit;
 * in WAL mode writers go on meanwhile (a step of fewer pages would start over
 * each time another process commits, and might never finish under load).
 */
const ALL_PAGES = 0x7fffffff;

/** How long to wait for a lock another process holds, in milliseconds. */
const BUSY_TIMEOUT_MS = 10_000;

export class BackupError extends Error {}

export interface BackupSummary {
  path: string;
  bytes: number;
  customers: number;
  ledgerEntries: number;
  /** The newest migration the copy has applied. */
  schemaVersion: number;
}

/**
 * Copies a live SQLite database to `dest` with SQLite's online backup API
 * (better-sqlite3's `db.backup()`), never a file copy: a `cp` of a WAL database
 * misses what is still in the WAL, and may catch a page half written. The copy is
 * written beside `dest` and renamed into place only once it is whole and checked,
 * so an interrupted backup never leaves a broken file under the name.
 */
export async function backupSqlite(source: string, dest: string): Promise<BackupSummary> {
  if (!existsSync(source)) throw new BackupError(`there is no database at ${source}`);
  const partial = `${dest}.partial-${process.pid}`;
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    createOwnerOnly(partial);
    await db.backup(partial, { progress: () => ALL_PAGES });
    const summary = inspect(partial);
    renameSync(partial, dest);
    return { ...summary, path: dest };
  } finally {
    db.close();
    rmSync(partial, { force: true });
  }
}

/**
 * Puts a backup back at `target`, through the same backup API (so SQLite, not a
 * rename, replaces the pages and any write-ahead log of the old file). Refuses
 * while another process has `target` open — stop the server first — and, unless
 * `replace`, when `target` already exists.
 */
export async function restoreSqlite(backup: string, target: string, opts: { replace: boolean }): Promise<BackupSummary> {
  if (!existsSync(backup)) throw new BackupError(`there is no backup at ${backup}`);
  inspect(backup);
  if (existsSync(target)) {
    if (!opts.replace) throw new BackupError(`${target} exists; pass --force to replace it with the backup`);
    if (inUse(target)) throw new BackupError(`${target} is open in another process; stop the server before restoring`);
  } else if (existsSync(`${target}-wal`)) {
    throw new BackupError(`${target}-wal is left from a database that is gone; move it away before restoring`);
  }
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  createOwnerOnly(target);
  const db = new Database(backup, { readonly: true, fileMustExist: true });
  try {
    await db.backup(target, { progress: () => ALL_PAGES });
  } finally {
    db.close();
  }
  return { ...inspect(target), path: target };
}

/** Checks that `path` is a whole Purse database and counts what it holds. */
function inspect(path: string): BackupSummary {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new BackupError(`${path} is not a SQLite database: ${(err as Error).message}`);
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`${path} fails SQLite's integrity check: ${String(check)}`);
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    if (!tables.has('schema_migrations') || !tables.has('ledger_entries')) throw new BackupError(`${path} is not a Purse database`);
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const version = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    return { path, bytes: statSync(path).size, customers: count('customers'), ledgerEntries: count('ledger_entries'), schemaVersion: version };
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`${path} is not a SQLite database: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}

/**
 * True when another connection has the database open. Every connection to a WAL
 * database holds a shared lock while open, so an exclusive one is refused at once.
 */
function inUse(path: string): boolean {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return false;
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return true;
    throw err;
  } finally {
    db.close();
  }
}

/**
 * Makes `path` owner-only (0600) before anything is written to it: a copy holds
 * hashed keys and, unless PURSE_SESSION_SECRET is set, the session secret.
 */
function createOwnerOnly(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}
