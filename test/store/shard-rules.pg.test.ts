import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRepeatable } from '../../src/store/migrations.js';
import { CUSTOMER_TABLES, ROUTED_LOOKUPS } from '../../src/store/postgres/distribute.js';

/**
 * One shard per statement (issue 17), checked on the SQL text, so it runs on plain
 * PostgreSQL in CI: every statement the PostgreSQL store sends that reads or
 * writes a distributed table names the row's distribution value (the customer;
 * the id of a routed lookup), or says in a `/* cross-shard: why *\/` comment that
 * it is a cross-customer job (the sweep, reports, the ledger check, search).
 */
const DISTRIBUTED: Record<string, string> = { ...CUSTOMER_TABLES, ...ROUTED_LOOKUPS };
const CROSS_SHARD = /\/\*\s*cross-shard:[^*]+\*\//;
const NOT_ALIAS = new Set(['where', 'set', 'on', 'order', 'limit', 'group', 'join', 'left', 'inner', 'using', 'values', 'select', 'union', 'for', 'returning', 'as']);

/** Why a statement would reach more than one shard on Citus; empty when it reaches one (or is marked). */
export function shardProblems(sql: string): string[] {
  if (CROSS_SHARD.test(sql)) return [];
  const problems: string[] = [];
  for (const m of sql.matchAll(/\b(FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?/gi)) {
    const [, verb, table, next] = m as unknown as [string, string, string, string | undefined];
    const column = DISTRIBUTED[table!];
    if (!column) continue;
    if (verb!.toUpperCase() === 'INTO') {
      // An insert is routed by the values it writes: its columns must include the distribution column.
      const columns = /^\s*\(([^)]*)\)/.exec(sql.slice(m.index! + m[0].length - (next ? next.length : 0)))?.[1] ?? '';
      if (!columns.split(',').map((c) => c.trim()).includes(column)) problems.push(`INSERT INTO ${table} without ${column}`);
      continue;
    }
    const alias = next && !NOT_ALIAS.has(next.toLowerCase()) ? next : table;
    // The condition must be in the table's own query level: up to the next SELECT, UNION or FROM
    // (an UPDATE's FROM names its source rows, so an UPDATE reads on to its WHERE).
    const rest = sql.slice(m.index! + m[0].length - (next ? next.length : 0));
    const end = rest.search(verb!.toUpperCase() === 'UPDATE' ? /\b(SELECT|UNION|INSERT)\b/i : /\b(SELECT|UNION|FROM)\b/i);
    const scope = end < 0 ? rest : rest.slice(0, end);
    const named = new RegExp(`(?:\\b(?:${alias}|${table})\\.|(?<![.\\w]))${column}\\s*=\\s*(?:\\?|\\$\\d+|p_customer\\b|ANY\\s*\\(\\s*\\$\\d+)`, 'i');
    if (!named.test(scope)) problems.push(`${verb!.toUpperCase()} ${table} without ${alias}.${column} = <value>`);
  }
  return problems;
}

/** String literals of a TypeScript file (a template's `${…}` parts read as `$x`) that look like SQL. */
export function sqlLiterals(source: string): string[] {
  const found: string[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '/' && source[i + 1] === '/') i = source.indexOf('\n', i) < 0 ? source.length : source.indexOf('\n', i);
    else if (c === '/' && source[i + 1] === '*') i = source.indexOf('*/', i + 2) + 2;
    else if (c === "'" || c === '"' || c === '`') {
      let text = '';
      let j = i + 1;
      while (j < source.length && source[j] !== c) {
        if (source[j] === '\\') {
          text += source.slice(j, j + 2);
          j += 2;
        } else if (c === '`' && source[j] === '$' && source[j + 1] === '{') {
          let depth = 1;
          j += 2;
          while (j < source.length && depth > 0) {
            if (source[j] === '{') depth++;
            if (source[j] === '}') depth--;
            j++;
          }
          text += '$x';
        } else text += source[j++];
      }
      if (/\b(SELECT|INSERT|UPDATE|DELETE)\b/.test(text) && /\b(FROM|INTO|UPDATE)\b/.test(text)) found.push(text);
      i = j + 1;
    } else i++;
  }
  return found;
}

const ROOT = join(import.meta.dirname, '../../src/store');
/** Every file the PostgreSQL store's statements come from. */
const SOURCES = ['sql-store.ts', 'audit.ts', 'webhook-queries.ts', ...readdirSync(join(ROOT, 'postgres')).map((f) => `postgres/${f}`)];

/** purse_apply's statements: its body split at each `;`, its column lists filled in. */
function purseApplyStatements(): string[] {
  const f = loadRepeatable('postgres').find((r) => r.name === 'purse_apply')!;
  const body = f.sql.slice(f.sql.indexOf('$$') + 2, f.sql.lastIndexOf('$$'));
  return body.split(';').map((s) => s.replace(/--[^\n]*/g, '').trim()).filter((s) => /\b(FROM|INTO|UPDATE)\b/.test(s));
}

describe('every statement on a distributed table reaches one shard, or says it crosses them', () => {
  it('holds for the PostgreSQL store and purse_apply', () => {
    const statements = [...SOURCES.flatMap((file) => sqlLiterals(readFileSync(join(ROOT, file), 'utf8')).map((sql) => ({ file, sql }))), ...purseApplyStatements().map((sql) => ({ file: 'purse_apply.sql', sql }))];
    expect(statements.length).toBeGreaterThan(60);
    const broken = statements.flatMap(({ file, sql }) => shardProblems(sql).map((p) => `${file}: ${p} in ${sql.replace(/\s+/g, ' ').slice(0, 120)}`));
    expect(broken).toEqual([]);
  });

  it('catches a lookup by id alone, a join through a routed lookup, an insert without the customer, and reads no marker as a pass but its own', () => {
    expect(shardProblems('SELECT * FROM grants WHERE id = ? LIMIT 1')).toEqual(['FROM grants without grants.customer_id = <value>']);
    expect(shardProblems('SELECT g.* FROM generation_ids r JOIN generations g ON g.customer_id = r.customer_id AND g.id = r.id WHERE r.id = ANY($2::text[])')).toEqual([
      'JOIN generations without g.customer_id = <value>',
    ]);
    expect(shardProblems("SELECT * FROM purchases p WHERE p.id = ANY($7::text[])")).toEqual(['FROM purchases without p.customer_id = <value>']);
    // Another table's filter does not count for this one.
    expect(shardProblems('SELECT (SELECT 1 FROM grants WHERE customer_id = $1), (SELECT json_agg(p) FROM purchases p WHERE p.id = ANY($2::text[]))')).toEqual([
      'FROM purchases without p.customer_id = <value>',
    ]);
    expect(shardProblems('INSERT INTO ledger_entries (id, type) VALUES (?, ?)')).toEqual(['INSERT INTO ledger_entries without customer_id']);
    expect(shardProblems('UPDATE customers SET name = ? WHERE email = ?')).toEqual(['UPDATE customers without customers.id = <value>']);
    expect(shardProblems('/* shard: fine */ SELECT * FROM events WHERE id = ?')).toEqual(['FROM events without events.customer_id = <value>']);
    expect(shardProblems('/* cross-shard: the sweep */ SELECT customer_id FROM generations WHERE hold_until <= ?')).toEqual([]);
    expect(shardProblems('SELECT * FROM grants g WHERE g.customer_id = $1 AND g.id = $2')).toEqual([]);
    expect(shardProblems('SELECT customer_id FROM generation_ids WHERE id = $1')).toEqual([]);
  });
});
