import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { expandColumns } from './written-sql.js';

/** A numbered, append-only SQL file: `0001_init.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads the migrations of one adapter (`sqlite` or `postgres`, or SQLite's outbox file) in version order. */
export function loadMigrations(dialect: 'sqlite' | 'sqlite-outbox' | 'postgres'): Migration[] {
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'migrations', dialect);
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 4)), name: file.replace(/\.sql$/, ''), sql: readFileSync(join(dir, file), 'utf8') }));
}

/** A repeatable SQL file (a function's one definition), applied again whenever its checksum changes. */
export interface RepeatableSql {
  name: string;
  sql: string;
  checksum: string;
}

/** Reads `migrations/<dialect>/functions/*.sql`, in name order. */
export function loadRepeatable(dialect: 'sqlite' | 'postgres'): RepeatableSql[] {
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'migrations', dialect, 'functions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^[\w-]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = expandColumns(readFileSync(join(dir, file), 'utf8'));
      return { name: file.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** A migration a database has recorded in `schema_migrations`. */
export interface AppliedMigration {
  version: number;
  name: string;
  appliedAt: number;
}

/**
 * Where a database stands against the migrations this build carries: what it has
 * applied, what starting the server (or `purse migrate`) would apply, and what it
 * has applied that this build does not know — a database newer than the code.
 */
export interface MigrationStatus {
  applied: AppliedMigration[];
  pending: Migration[];
  unknown: AppliedMigration[];
  /** Repeatable files (function definitions) that are new or changed since last applied. */
  pendingFunctions: string[];
}

export function migrationStatus(
  applied: AppliedMigration[],
  known: Migration[],
  functions: { applied: Map<string, string>; known: RepeatableSql[] } = { applied: new Map(), known: [] },
): MigrationStatus {
  const done = new Set(applied.map((m) => m.version));
  const knownVersions = new Set(known.map((m) => m.version));
  return {
    applied: [...applied].sort((a, b) => a.version - b.version),
    pending: known.filter((m) => !done.has(m.version)),
    unknown: applied.filter((m) => !knownVersions.has(m.version)).sort((a, b) => a.version - b.version),
    pendingFunctions: functions.known.filter((f) => functions.applied.get(f.name) !== f.checksum).map((f) => f.name),
  };
}

/**
 * A SQL file's statements, one each, without their `;` — so a migration runs one
 * statement at a time (Citus refuses several in one query). Quotes, comments and
 * dollar-quoted bodies (`$$ … $$`, a plpgsql function) are kept whole.
 *
 * @example splitStatements("CREATE TABLE a (x int); -- a;\nSELECT ';'") // ['CREATE TABLE a (x int)', "-- a;\nSELECT ';'"]
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const text = sql.slice(start, end).trim();
    // A piece with nothing but comments is no statement.
    if (text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '').trim() !== '') statements.push(text);
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1;
      i = j + 1;
    } else if (c === '$' && /^\$(?:[A-Za-z_]\w*)?\$/.test(sql.slice(i))) {
      const tag = /^\$(?:[A-Za-z_]\w*)?\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      i = end < 0 ? sql.length : end + tag.length;
    } else if (c === ';') {
      push(i);
      start = ++i;
    } else {
      i++;
    }
  }
  push(sql.length);
  return statements;
}
