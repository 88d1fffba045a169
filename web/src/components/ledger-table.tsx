import { useEffect, useState } from 'react';
import { request, seg } from '../api/client';
import type { LedgerEntry, Page } from '../api/types';
import { dateTime } from '../lib/format';
import { describeEntry } from '../lib/ledger';
import { DataTable } from './data-table';
import { ErrorNotice } from './ui';

interface Props {
  customerId: string;
  auth: 'session' | 'key';
  toolName: (id: string) => string;
  /** Changes when the caller knows the ledger moved: the first page is read again. */
  version?: number;
  operator?: boolean;
}

/** A customer's ledger, newest first, 20 at a time with "Load more". */
export function LedgerTable({ customerId, auth, toolName, version = 0, operator = false }: Props) {
  const [entries, setEntries] = useState<LedgerEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(false);

  const load = async (from: string | null) => {
    setLoading(true);
    try {
      const page = await request<Page<LedgerEntry>>(`/v1/customers/${seg(customerId)}/ledger`, { auth, query: { limit: 20, cursor: from ?? undefined } });
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
    void load(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [customerId, version]);

  return (
    <>
      <ErrorNotice error={error} />
      <DataTable
        caption="Credit history"
        filename={`ledger-${customerId}`}
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
              <button type="button" className="btn btn-secondary" onClick={() => void load(cursor)} disabled={loading}>
                {loading ? 'Loading…' : 'Load more'}
              </button>
            </div>
          )
        }
      />
    </>
  );
}
