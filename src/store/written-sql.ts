import { WRITTEN_COLUMNS, type CustomerTable } from './rows.js';

/**
 * Statements built from {@link WRITTEN_COLUMNS}, so no write path lists a
 * table's columns by hand: SQLite's named-parameter writes, and the column
 * lists `{{…}}` of PostgreSQL's purse_apply.
 */

/** `a, b, c` — a table's insert columns, each behind `prefix.` when given. */
export function insertColumns(table: CustomerTable, prefix = ''): string {
  return WRITTEN_COLUMNS[table].insert.map((c) => `${prefix}${c}`).join(', ');
}

/** `x = from.x, y = from.y` — a table's updatable columns set from a row named `from`. */
export function updateAssignments(table: CustomerTable, from: string): string {
  return WRITTEN_COLUMNS[table].update.map((c) => `${c} = ${from}.${c}`).join(', ');
}

/** `INSERT INTO t (a, b) VALUES (@a, @b)`: an insert with named parameters (SQLite). */
export function namedInsert(table: CustomerTable): string {
  return `INSERT INTO ${table} (${insertColumns(table)}) VALUES (${insertColumns(table, '@')})`;
}

/** `UPDATE t SET x = @x … WHERE customer_id = @customer_id AND id = @id` (SQLite). */
export function namedUpdate(table: CustomerTable): string {
  const set = WRITTEN_COLUMNS[table].update.map((c) => `${c} = @${c}`).join(', ');
  return `UPDATE ${table} SET ${set} WHERE customer_id = @customer_id AND id = @id`;
}

/** `UPDATE customers SET x = @x … WHERE id = @id`: the customer row's written columns (SQLite). */
export function customerUpdate(): string {
  return `UPDATE customers SET ${WRITTEN_COLUMNS.customers.update.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`;
}

/**
 * Fills a SQL template's column lists with the written columns (purse_apply's
 * one file): `{{table.insert}}`, `{{table.insert:row}}` (each behind `row.`),
 * `{{table.insert:row|col=expr}}` (one column computed) and
 * `{{table.update=row}}` (assignments from `row`).
 */
export function expandColumns(template: string): string {
  return template.replace(/\{\{([^}]+)\}\}/g, (whole, inner: string) => {
    const [head = '', ...overrides] = inner.split('|');
    const m = /^(\w+)\.(insert|update)(?::(\w+)|=(\w+))?$/.exec(head.trim());
    if (!m || !(m[1]! in WRITTEN_COLUMNS)) throw new Error(`${whole} names no written table's columns`);
    const table = m[1] as CustomerTable;
    if (m[2] === 'update') {
      if (!m[4]) throw new Error(`${whole}: an update list names the row it sets from ({{${table}.update=row}})`);
      return updateAssignments(table, m[4]);
    }
    const computed = new Map(overrides.map((o) => [o.slice(0, o.indexOf('=')).trim(), o.slice(o.indexOf('=') + 1).trim()]));
    for (const column of computed.keys()) if (!(WRITTEN_COLUMNS[table].insert as readonly string[]).includes(column)) throw new Error(`${whole}: ${column} is not a column of ${table}`);
    return WRITTEN_COLUMNS[table].insert.map((c) => computed.get(c) ?? (m[3] ? `${m[3]}.${c}` : c)).join(', ');
  });
}
