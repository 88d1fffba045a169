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

/** Reads the migrations of one adapter (`sqlite` or `postgres`) in version order. */
export function loadMigrations(dialect: 'sqlite' | 'postgres'): Migration[] {
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
