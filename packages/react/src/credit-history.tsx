import { useEffect, useRef, useState } from 'react';
import { customerPath, purseRequest, type PurseConnection } from './client';
import { DataTable } from './data-table';
import { dateTime } from './format';
import { describeEntry } from './ledger';
import type { LedgerEntry, Page } from './types';
import { ErrorNotice } from './ui';
import { useBalance } from './use-balance';
import { usePricing } from './use-pricing';

/** Entries per page of the history. */
export const HISTORY_PAGE_SIZE = 20;

export interface LedgerTableProps {
  /** Reads one page of the ledger, newest first, from `cursor` (null: the first page). */
  load: (cursor: string | null) => Promise<Page<LedgerEntry>>;
  toolName: (id: string) => string;
  /** Changes when the caller knows the ledger moved: the first page is read again. */
  version?: string | number;
  /** The operator's view: entry type and source as columns too. */
  operator?: boolean;
  filename?: string;
}

/** A ledger, newest first, a page at a time with "Load more"; exports what it shows as CSV. */
export function LedgerTable({ load, toolName, version = 0, operator = false, filename = 'ledger' }: LedgerTableProps) {
  const [entries, setEntries] = useState<LedgerEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(false);
  const loadRef = useRef(load);
  loadRef.current = load;

  const read = async (from: string | null) => {
    setLoading(true);
    try {
      const page = await loadRef.current(from);
      setEntries((prev) => (from ? [...prev, ...page.data.filter((e) => !prev.some((p) => p.id === e.id))] : page.data));
      setCursor(page.nextCursor);
      setError(undefined);
    } catch (err) {
      setError(err as Error);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    void read(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);

  return (
    <>
      <ErrorNotice error={error} />
      <DataTable
        caption="Credit history"
        filename={filename}
        rows={entries}
        rowKey={(e) => e.id}
        testId="ledger"
        rowTestId="ledger-row"
        empty={loading ? 'Loading…' : 'No activity yet.'}
        columns={[
          { header: 'When', cell: (e) => dateTime(e.createdAt), csv: (e) => e.createdAt },
          { header: 'Activity', wrap: true, cell: (e) => describeEntry(e, toolName).what },
          ...(operator
            ? [
                { header: 'Type', cell: (e: LedgerEntry) => e.type },
                { header: 'Source', cell: (e: LedgerEntry) => e.source },
              ]
            : []),
          { header: 'Credits', numeric: true, cell: (e) => <span className={e.availableDelta > 0 ? 'pos' : e.availableDelta < 0 ? 'neg' : undefined}>{describeEntry(e, toolName).change}</span>, csv: (e) => e.availableDelta },
        ]}
        footer={
          cursor && (
            <div className="row center-row">
              <button type="button" className="btn btn-secondary" onClick={() => void read(cursor)} disabled={loading}>
                {loading ? 'Loading…' : 'Load more'}
              </button>
            </div>
          )
        }
      />
    </>
  );
}

/**
 * The customer's history: every change to their credits, in words ("Video
 * completed", "Pack purchased"), newest first, paged. It reads the first page
 * again whenever the balance moves.
 */
export function CreditHistory(conn: PurseConnection) {
  const { balance } = useBalance(conn);
  const { pricing } = usePricing(conn.baseUrl);
  const toolName = (id: string) => pricing?.tools.find((t) => t.id === id)?.name ?? id;
  const moved = balance ? `${balance.available}/${balance.reserved}` : '';
  return (
    <div className="purse-ui">
      <LedgerTable
        key={`${conn.baseUrl}\n${conn.session.customerId}`}
        load={(cursor) => purseRequest<Page<LedgerEntry>>(conn, customerPath(conn, 'ledger'), { query: { limit: HISTORY_PAGE_SIZE, cursor: cursor ?? undefined } })}
        toolName={toolName}
        version={moved}
        filename={`credits-${conn.session.customerId}`}
      />
    </div>
  );
}
