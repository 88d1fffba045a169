import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadMigrations, loadRepeatable, migrationStatus, type MigrationStatus } from '../store/migrations.js';
import { openStore, sqlitePath } from '../store/open-store.js';
import { backupSqlite, BackupError, restoreSqlite, type BackupSummary } from '../store/sqlite/sqlite-backup.js';
import { distribute, NotCitusError } from '../store/postgres/distribute.js';
import type { PostgresStore } from '../store/postgres/postgres-store.js';
import type { Store } from '../store/store.js';
import { CliError, type CliIo } from './context.js';

const PG_BACKUP = [
  'PostgreSQL is backed up with its own tools, which take a consistent snapshot while Purse runs:',
  '  pg_dump --format=custom --file=purse.dump "$PURSE_DATABASE_URL"',
  'and restored, with the servers stopped, into an empty database:',
  '  pg_restore --no-owner --dbname="$PURSE_DATABASE_URL" purse.dump',
];

/** `purse ledger check` (also `ledger-check`): recomputes every balance from the ledger; exit 1 names each mismatch. */
export async function ledgerCheck(store: Store, io: CliIo): Promise<number> {
  const report = await store.audit();
  io.out(`Checked ${report.entries} ledger entries, ${report.grants} grants, ${report.customers} customers.`);
  if (report.problems.length === 0) {
    io.out('Every balance equals its ledger.');
    return 0;
  }
  for (const p of report.problems) io.out(`MISMATCH ${p}`);
  io.out(`${report.problems.length} problems found.`);
  return 1;
}

/** `purse backup FILE`: a consistent copy of a live SQLite database, taken with SQLite's online backup API. */
export async function backupCommand(url: string, io: CliIo, args: string[]): Promise<number> {
  const [file] = args;
  if (!file) throw new CliError('backup needs a FILE to write', 2);
  if (!url.startsWith('sqlite:')) return postgresOnly(io);
  const summary = await sqliteOp(() => backupSqlite(sqlitePath(url), file));
  io.out(`Backed up to ${summary.path}: ${describe(summary)}.`);
  return 0;
}

/** `purse restore FILE [--force]`: puts a backup back at PURSE_DATABASE_URL's path, with the server stopped. */
export async function restoreCommand(url: string, io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { force: { type: 'boolean', default: false } } });
  const [file] = positionals;
  if (!file) throw new CliError('restore needs the backup FILE to read', 2);
  if (!url.startsWith('sqlite:')) return postgresOnly(io);
  const summary = await sqliteOp(() => restoreSqlite(file, sqlitePath(url), { replace: values.force }));
  io.out(`Restored ${file} to ${summary.path}: ${describe(summary)}.`);
  const pending = loadMigrations('sqlite').filter((m) => m.version > summary.schemaVersion);
  if (pending.length > 0) io.out(`${pending.length} migrations are pending (${pending.map((m) => m.name).join(', ')}); \`purse migrate\` or starting the server applies them.`);
  io.out('Run `purse ledger check` to confirm the books, then start the server.');
  return 0;
}

/**
 * `purse migrate`: applies pending migrations, as starting the server would.
 * `purse migrate --status`: lists applied and pending ones and changes nothing.
 */
export async function migrateCommand(url: string, io: CliIo, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { status: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  const dialect = url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  const known = loadMigrations(dialect);
  const functions = loadRepeatable(dialect);
  if (values.status && dialect === 'sqlite' && !existsSync(sqlitePath(url))) {
    // Opening would create the file; a status only looks.
    return printStatus(io, migrationStatus([], known), values.json, 'There is no database there yet: every migration is pending.');
  }
  const store = await openStore(url, { migrate: false });
  const status = async () => migrationStatus(await store.appliedMigrations(), known, { applied: await store.appliedFunctions(), known: functions });
  try {
    const before = await status();
    if (values.status) return printStatus(io, before, values.json);
    if (before.unknown.length > 0) {
      io.err(`This database has applied migrations this build does not know (${before.unknown.map((m) => m.name).join(', ')}): it was used by a newer Purse.`);
    }
    await store.migrate();
    const after = await status();
    if (before.pending.length === 0 && before.pendingFunctions.length === 0) io.out(`Nothing to apply: all ${after.applied.length} migrations are applied.`);
    for (const m of before.pending) io.out(`applied ${m.name}`);
    for (const f of before.pendingFunctions) io.out(`applied function ${f}`);
    return after.pending.length === 0 && after.pendingFunctions.length === 0 ? 0 : 1;
  } finally {
    await store.close();
  }
}

function printStatus(io: CliIo, status: MigrationStatus, json: boolean, note?: string): number {
  if (json) {
    io.out(JSON.stringify({
      applied: status.applied.map((m) => ({ version: m.version, name: m.name, appliedAt: new Date(m.appliedAt).toISOString() })),
      pending: status.pending.map((m) => ({ version: m.version, name: m.name })),
      unknown: status.unknown.map((m) => ({ version: m.version, name: m.name })),
      pendingFunctions: status.pendingFunctions,
    }, null, 2));
    return 0;
  }
  if (note) io.out(note);
  for (const m of status.applied) io.out(`applied  ${m.name}  ${new Date(m.appliedAt).toISOString()}${status.unknown.includes(m) ? '  (unknown to this build: a newer Purse applied it)' : ''}`);
  for (const m of status.pending) io.out(`pending  ${m.name}`);
  for (const f of status.pendingFunctions) io.out(`pending  function ${f} (new or changed; applied again)`);
  const waiting = status.pending.length + status.pendingFunctions.length;
  io.out(`${status.applied.length} applied, ${status.pending.length} pending.${waiting > 0 ? ' `purse migrate` or starting the server applies them.' : ''}`);
  return 0;
}

function postgresOnly(io: CliIo): number {
  for (const line of PG_BACKUP) io.err(line);
  return 1;
}

async function sqliteOp<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof BackupError) throw new CliError(err.message);
    throw err;
  }
}

function describe(s: BackupSummary): string {
  return `${s.customers} customers, ${s.ledgerEntries} ledger entries, ${s.bytes} bytes, schema at migration ${s.schemaVersion}`;
}

/**
 * `purse distribute`: lays a migrated PostgreSQL database out on Citus (run it
 * against the coordinator, after `purse migrate`). Idempotent: run again, it
 * only lists what is already distributed.
 */
export async function distributeCommand(url: string, io: CliIo): Promise<number> {
  if (url.startsWith('sqlite:')) throw new CliError('distribute needs PostgreSQL with Citus; SQLite runs on one machine');
  const store = await openStore(url, { migrate: false });
  try {
    const pending = migrationStatus(await store.appliedMigrations(), loadMigrations('postgres')).pending;
    if (pending.length > 0) throw new CliError(`${pending.length} migrations are pending: run \`purse migrate\` first`);
    const steps = await distribute((store as PostgresStore).pool).catch((err: unknown) => {
      throw err instanceof NotCitusError ? new CliError(err.message) : err;
    });
    for (const s of steps) io.out(`${s.done === 'now' ? 'made' : 'already'} ${s.as === 'function' ? 'a distributed function' : `a ${s.as} table`}: ${s.name}`);
    io.out(`${steps.filter((s) => s.done === 'now').length} done now, ${steps.filter((s) => s.done === 'already').length} already in place.`);
    return 0;
  } finally {
    await store.close();
  }
}
