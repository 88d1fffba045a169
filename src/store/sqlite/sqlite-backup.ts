import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { outboxPath } from './sqlite-store.js';

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
 *
 * The outbox's file (the webhook delivery worker's tables, `<file>-outbox`) is
 * copied first, to `<dest>-outbox`, and the ledger's after it, so the ledger's
 * copy holds every event the outbox's copy has fanned out: restored, the worker
 * goes on from its place and misses no event (at worst it sends again what was
 * sent between the two copies).
 */
export async function backupSqlite(source: string, dest: string): Promise<BackupSummary> {
  if (!existsSync(source)) throw new BackupError(`there is no database at ${source}`);
  if (existsSync(outboxPath(source))) await copyWhole(outboxPath(source), outboxPath(dest), inspectOutbox);
  return { ...(await copyWhole(source, dest, inspect)), path: dest };
}

/** One file copied through the backup API to `dest`, by way of a partial file checked before it is renamed into place. */
async function copyWhole<T>(source: string, dest: string, check: (path: string) => T): Promise<T> {
  const partial = `${dest}.partial-${process.pid}`;
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    createOwnerOnly(partial);
    await db.backup(partial, { progress: () => ALL_PAGES });
    const checked = check(partial);
    renameSync(partial, dest);
    return checked;
  } finally {
    db.close();
    rmSync(partial, { force: true });
  }
}

/**
 * Puts a backup back at `target`, through the same backup API (so SQLite, not a
 * rename, replaces the pages and any write-ahead log of the old file). Refuses
 * while another process has `target` open — stop the server first — and, unless
 * `replace`, when `target` already exists. A backup's outbox file
 * (`<backup>-outbox`) is put back beside it; a backup made before Purse had one
 * leaves the outbox at `target` as it is (the worker's place in the events is
 * moved back to the newest event the restored ledger holds when it starts).
 */
export async function restoreSqlite(backup: string, target: string, opts: { replace: boolean }): Promise<BackupSummary> {
  if (!existsSync(backup)) throw new BackupError(`there is no backup at ${backup}`);
  inspect(backup);
  const withOutbox = existsSync(outboxPath(backup));
  if (withOutbox) inspectOutbox(outboxPath(backup));
  for (const file of withOutbox ? [target, outboxPath(target)] : [target]) {
    if (existsSync(file)) {
      if (!opts.replace) throw new BackupError(`${file} exists; pass --force to replace it with the backup`);
      if (inUse(file)) throw new BackupError(`${file} is open in another process; stop the server before restoring`);
    } else if (existsSync(`${file}-wal`)) {
      throw new BackupError(`${file}-wal is left from a database that is gone; move it away before restoring`);
    }
  }
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  if (withOutbox) await putBack(outboxPath(backup), outboxPath(target));
  await putBack(backup, target);
  return { ...inspect(target), path: target };
}

async function putBack(backup: string, target: string): Promise<void> {
  createOwnerOnly(target);
  const db = new Database(backup, { readonly: true, fileMustExist: true });
  try {
    await db.backup(target, { progress: () => ALL_PAGES });
  } finally {
    db.close();
  }
}


/** Checks that `path` is a whole Purse database and counts what it holds. */
function inspect(path: string): BackupSummary {
  return checked(path, ['schema_migrations', 'ledger_entries'], 'a Purse database', (db) => {
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const version = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    return { path, bytes: statSync(path).size, customers: count('customers'), ledgerEntries: count('ledger_entries'), schemaVersion: version };
  });
}

/** Checks that `path` is a whole outbox file (the webhook worker's, with its place in the events). */
function inspectOutbox(path: string): void {
  checked(path, ['fanout'], 'a Purse outbox file', () => undefined);
}

/** Opens `path` read-only, runs SQLite's integrity check, requires `tables` (else it is not `what`), then reads it. */
function checked<T>(path: string, tables: string[], what: string, read: (db: Database.Database) => T): T {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new BackupError(`${path} is not a SQLite database: ${(err as Error).message}`);
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`${path} fails SQLite's integrity check: ${String(check)}`);
    const present = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    if (!tables.every((t) => present.has(t))) throw new BackupError(`${path} is not ${what}`);
    return read(db);
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
