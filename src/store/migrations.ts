import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

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
      const sql = readFileSync(join(dir, file), 'utf8');
      return { name: file.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}
