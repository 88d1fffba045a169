import { DataTable, dateTime, money, num } from '@purse/react';
import { useState } from 'react';
import { request, seg } from '../api/client';
import type { AutoTopUp, Pack, Page, Purchase } from '../api/types';
import { ReasonDialog } from '../components/reason-dialog';
import { ErrorNotice, Loading, Notice } from '../components/ui';
import { useAsync } from '../lib/use-async';

interface Data {
  autoTopUp: AutoTopUp;
  packs: Pack[];
  topUps: Purchase[];
}

async function load(customerId: string): Promise<Data> {
  const c = `/v1/customers/${seg(customerId)}`;
  const [autoTopUp, packs, purchases] = await Promise.all([
    request<AutoTopUp>(`${c}/auto-top-up`, { auth: 'key' }),
    request<{ data: Pack[] }>('/v1/packs', { auth: 'key' }),
    request<Page<Purchase>>(`${c}/purchases`, { auth: 'key', query: { limit: 100 } }),
  ]);
  return { autoTopUp, packs: packs.data, topUps: purchases.data.filter((p) => p.autoTopUp) };
}

/** What a top-up's purchase state means to support. */
const TOP_UP_STATE: Record<Purchase['status'], string> = { pending: 'being paid', paid: 'paid', refunded: 'refunded', canceled: 'failed' };

/** Optional whole number from a field: '' is "not set"; anything else must be a whole number of at least `min`. */
function wholeOrEmpty(value: string, min: number, what: string): number | undefined {
  if (value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${what} must be a whole number of at least ${min}, or empty.`);
  return n;
}

/**
 * A customer's auto top-up for support: the settings and this month's count,
 * set (with a reason) in a dialog, and the top-ups made with their state.
 */
export function AutoTopUpCard({ customerId, onSaved, version }: { customerId: string; onSaved: () => Promise<void>; version: number }) {
  const { data, error, reload } = useAsync(() => load(customerId), [customerId, version]);
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<string>();
  const [form, setForm] = useState({ enabled: true, threshold: '100', packId: '', quantity: '1', purchases: '', amount: '' });

  if (error && !data) return <ErrorNotice error={error} />;
  if (!data) return <Loading />;
  const { autoTopUp: a, packs, topUps } = data;
  const packName = (id: string | null) => (id ? (packs.find((p) => p.id === id)?.name ?? id) : '—');
  const open = () => {
    setForm({
      enabled: a.threshold === null ? true : a.enabled,
      threshold: String(a.threshold ?? 100),
      packId: a.packId ?? packs.find((p) => p.active)?.id ?? '',
      quantity: String(a.quantity ?? 1),
      purchases: a.monthlyLimit.purchases === null ? '' : String(a.monthlyLimit.purchases),
      amount: a.monthlyLimit.amount === null ? '' : String(a.monthlyLimit.amount),
    });
    setSaved(undefined);
    setEditing(true);
  };
  const limit = [a.monthlyLimit.purchases !== null ? `${num(a.monthlyLimit.purchases)} top-ups` : null, a.monthlyLimit.amount !== null && a.topUp ? money({ amount: a.monthlyLimit.amount, currency: a.topUp.price.currency }) : null].filter(Boolean);

  return (
    <section className="card stack" aria-labelledby="top-up-heading" data-testid="auto-top-up">
      <h2 id="top-up-heading">Auto top-up</h2>
      {saved && <Notice kind="success">{saved}</Notice>}
      <dl className="facts">
        <dt>Status</dt>
        <dd data-testid="top-up-status">{a.enabled ? 'On' : a.threshold === null ? 'Never set' : 'Off'}</dd>
        {a.threshold !== null && (
          <>
            <dt>Buys</dt>
            <dd data-testid="top-up-buys">
              {a.topUp ? `${num(a.topUp.credits)} credits for ${money(a.topUp.price)}` : ''} ({a.quantity} × {packName(a.packId)}) below {num(a.threshold)} credits
            </dd>
            <dt>This month</dt>
            <dd data-testid="top-up-month">
              {num(a.thisMonth.purchases)} top-ups{a.topUp ? `, ${money({ amount: a.thisMonth.amount, currency: a.topUp.price.currency })}` : ''}
              {limit.length ? ` (limit ${limit.join(', ')})` : ' (no limit)'}
            </dd>
            <dt>State</dt>
            <dd>
              {a.state.pendingPurchaseId ? 'a top-up is being paid' : a.state.armed ? 'armed' : 'waits for the balance to rise above the threshold'}
              {a.state.failuresInRow > 0 ? `; ${a.state.failuresInRow} failed in a row (last: ${a.state.lastFailure?.reason ?? '?'})` : ''}
            </dd>
          </>
        )}
      </dl>
      {a.reason && <p className="muted small break">Reason for the last change: {a.reason}</p>}
      <div>
        <button type="button" className="btn btn-secondary" onClick={open} data-testid="top-up-open">
          {a.threshold === null ? 'Set up auto top-up' : a.enabled ? 'Change or turn off' : 'Change or turn on'}
        </button>
      </div>

      <DataTable
        caption="Top-ups"
        filename={`top-ups-${customerId}`}
        testId="top-ups"
        rowTestId="top-up-row"
        rows={topUps}
        rowKey={(p) => p.id}
        empty="No top-ups yet."
        columns={[
          { header: 'When', cell: (p) => dateTime(p.createdAt), csv: (p) => p.createdAt },
          { header: 'Credits', numeric: true, cell: (p) => num(p.credits), csv: (p) => p.credits },
          { header: 'Price', cell: (p) => money(p.price), csv: (p) => p.price.amount },
          { header: 'State', cell: (p) => <span className={`pill pill-${p.status === 'paid' ? 'completed' : p.status === 'pending' ? 'reserved' : 'failed'}`}>{TOP_UP_STATE[p.status]}</span>, csv: (p) => p.status },
          { header: 'Id', cell: (p) => <code className="id">{p.id}</code>, csv: (p) => p.id },
        ]}
      />

      {editing && (
        <ReasonDialog
          title="Auto top-up"
          description="Buys the pack whenever a write leaves the balance below the threshold: once per crossing, within the monthly limit."
          confirmLabel="Save auto top-up"
          onClose={() => setEditing(false)}
          onConfirm={async (reason) => {
            const threshold = wholeOrEmpty(form.threshold, 1, 'The threshold');
            if (threshold === undefined) throw new Error('The threshold must be a whole number of credits, at least 1.');
            if (!form.packId) throw new Error('Choose a pack.');
            const purchases = wholeOrEmpty(form.purchases, 1, 'The monthly number of top-ups');
            const amount = wholeOrEmpty(form.amount, 1, 'The monthly amount');
            const body = {
              enabled: form.enabled,
              threshold,
              packId: form.packId,
              quantity: wholeOrEmpty(form.quantity, 1, 'The quantity') ?? 1,
              ...(purchases !== undefined || amount !== undefined ? { monthlyLimit: { ...(purchases !== undefined ? { purchases } : {}), ...(amount !== undefined ? { amount } : {}) } } : {}),
              reason,
            };
            await request(`/v1/customers/${seg(customerId)}/auto-top-up`, { method: 'PUT', auth: 'key', body });
            await reload();
            await onSaved();
            setSaved(`Auto top-up ${form.enabled ? 'on' : 'off'} for ${customerId}.`);
          }}
        >
          <label className="field row">
            <input type="checkbox" name="enabled" checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.target.checked })} />
            <span>On</span>
          </label>
          <div className="row wrap">
            <label className="field grow">
              <span>Below (credits)</span>
              <input type="number" name="threshold" min={1} step={1} value={form.threshold} onChange={(e) => setForm({ ...form, threshold: e.target.value })} required />
            </label>
            <label className="field grow">
              <span>Pack</span>
              <select name="packId" value={form.packId} onChange={(e) => setForm({ ...form, packId: e.target.value })}>
                {packs.filter((p) => p.active || p.id === form.packId).map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name} · {num(p.credits)} credits · {money(p.price)}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Quantity</span>
              <input type="number" name="quantity" min={1} step={1} value={form.quantity} onChange={(e) => setForm({ ...form, quantity: e.target.value })} />
            </label>
          </div>
          <div className="row wrap">
            <label className="field grow">
              <span>Top-ups a month (optional)</span>
              <input type="number" name="monthlyPurchases" min={1} step={1} value={form.purchases} onChange={(e) => setForm({ ...form, purchases: e.target.value })} />
            </label>
            <label className="field grow">
              <span>Money a month, in cents (optional)</span>
              <input type="number" name="monthlyAmount" min={1} step={1} value={form.amount} onChange={(e) => setForm({ ...form, amount: e.target.value })} />
            </label>
          </div>
        </ReasonDialog>
      )}
    </section>
  );
}
