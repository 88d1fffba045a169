import { useState, type FormEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { request } from '../api/client';
import type { Customer } from '../api/types';
import { DataTable, date } from '@purse/react';
import { ErrorNotice } from '../components/ui';
import { useAsync } from '../lib/use-async';
import { useTitle } from '../lib/use-title';

/** Find a customer by id, email or name; the newest first when the box is empty. */
export function CustomersPage() {
  useTitle('Customers');
  const q = new URLSearchParams(useSearch()).get('q') ?? '';
  const [, navigate] = useLocation();
  const [text, setText] = useState(q);
  const { data, error, loading } = useAsync(() => request<{ data: Customer[] }>('/v1/customers', { auth: 'key', query: { query: q, limit: 50 } }), [q]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(text.trim() ? `/?q=${encodeURIComponent(text.trim())}` : '/');
  };

  return (
    <div className="stack-lg">
      <h1>Customers</h1>
      <form className="card search-form" role="search" onSubmit={submit}>
        <label className="field grow">
          <span>Search customers</span>
          <input type="search" name="q" value={text} onChange={(e) => setText(e.target.value)} placeholder="Customer id, email or name" autoComplete="off" />
        </label>
        <button type="submit" className="btn btn-primary">
          Search
        </button>
      </form>
      <ErrorNotice error={error} />
      <section className="card" aria-label="Results">
        <DataTable
          caption={q ? `Customers matching “${q}”` : 'Recent customers'}
          showCaption
          filename="customers"
          rows={data?.data ?? []}
          rowKey={(c) => c.id}
          testId="customer-results"
          rowTestId="customer-row"
          empty={loading ? 'Searching…' : 'No customer matches.'}
          columns={[
            { header: 'Customer', cell: (c) => <Link href={`/customers/${encodeURIComponent(c.id)}`}>{c.id}</Link>, csv: (c) => c.id },
            { header: 'Name', cell: (c) => c.name ?? '' },
            { header: 'Email', cell: (c) => c.email ?? '' },
            { header: 'Since', cell: (c) => date(c.createdAt), csv: (c) => c.createdAt },
          ]}
        />
      </section>
    </div>
  );
}
