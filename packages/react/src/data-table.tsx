import type { ReactNode } from 'react';
import { download, toCsv } from './csv';

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  /** The value written to the CSV file; by default the cell when it is text or a number. */
  csv?: (row: T) => unknown;
  numeric?: boolean;
  /** Long text (descriptions, reasons) wraps; every other cell keeps to one line and the table scrolls. */
  wrap?: boolean;
}

interface Props<T> {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  /** File name of the export, without `.csv`. */
  filename: string;
  empty?: string;
  testId?: string;
  rowTestId?: string;
  /** Show the caption as a heading above the table (otherwise it is for screen readers only). */
  showCaption?: boolean;
  footer?: ReactNode;
  /** Long tables scroll inside a box of limited height, keeping the header in view. */
  tall?: boolean;
}

/**
 * A table that exports what it shows as CSV. Where its box is narrow (a phone)
 * each row becomes a small card of label–value lines, so no column is cut off;
 * the ARIA roles keep it a table for screen readers in that layout too.
 */
export function DataTable<T>({ caption, columns, rows, rowKey, filename, empty = 'Nothing yet.', testId, rowTestId, showCaption = false, footer, tall = false }: Props<T>) {
  const exportCsv = () => {
    const header = columns.map((c) => c.header);
    const data = rows.map((r) =>
      columns.map((c) => {
        if (c.csv) return c.csv(r);
        const v = c.cell(r);
        return typeof v === 'string' || typeof v === 'number' ? v : '';
      }),
    );
    download(`${filename}.csv`, toCsv(header, data));
  };
  return (
    <div className="table-block" data-testid={testId}>
      <div className="table-toolbar">
        {showCaption ? <h3 className="table-title">{caption}</h3> : <span />}
        <button type="button" className="btn btn-ghost btn-sm" onClick={exportCsv} aria-label={`Export ${caption} as CSV`} disabled={rows.length === 0}>
          <svg aria-hidden="true" width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round">
            <path d="M12 3v12m0 0-5-5m5 5 5-5M4 21h16" />
          </svg>
          Export CSV
        </button>
      </div>
      <div className={tall ? 'table-scroll table-tall' : 'table-scroll'} tabIndex={0} role="region" aria-label={caption}>
        <table role="table">
          <caption className="sr-only">{caption}</caption>
          <thead role="rowgroup">
            <tr role="row">
              {columns.map((c) => (
                <th key={c.header} scope="col" role="columnheader" className={c.numeric ? 'num' : undefined}>
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody role="rowgroup">
            {rows.length === 0 ? (
              <tr role="row">
                <td colSpan={columns.length} className="empty" role="cell">
                  {empty}
                </td>
              </tr>
            ) : (
              rows.map((r) => (
                <tr key={rowKey(r)} data-testid={rowTestId} role="row">
                  {columns.map((c) => (
                    <td key={c.header} className={c.numeric ? 'num' : c.wrap ? 'wrap-cell' : undefined} role="cell" data-label={c.header}>
                      {c.cell(r)}
                    </td>
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      {footer}
    </div>
  );
}
