import { credits, date, dateTime, money, num, SOURCE_LABEL } from '@purse/react';
import { useEffect, useState, type FormEvent } from 'react';
import { request, seg } from '../api/client';
import type { Alerts, Generation, Grant, Money, Page, Purchase, PurseEvent, Subscription } from '../api/types';
import { ErrorNotice, Loading, Notice } from '../components/ui';

/** Events shown per page of a customer's Events tab. */
export const EVENTS_PAGE_SIZE = 20;

interface EventData {
  grant?: Grant;
  generation?: Generation;
  purchase?: Purchase & { price: Money };
  subscription?: Subscription;
  balance?: { available: number };
  threshold?: number;
  credits?: number;
  amount?: number;
  expiresAt?: string | null;
  reason?: string | null;
  message?: string | null;
  failuresInRow?: number;
}

/** One line saying what happened, from the event's type and data; the full data is one click away. */
export function describeEvent(e: PurseEvent): string {
  const d = e.data as EventData;
  const why = (r: string | null | undefined) => (r ? `: ${r}` : '');
  switch (e.type) {
    case 'credits.granted':
      return d.grant ? `${credits(d.grant.amount)} granted as ${SOURCE_LABEL[d.grant.source].toLowerCase()}${d.grant.expiresAt ? `, expiring ${date(d.grant.expiresAt)}` : ''}${why(d.grant.reason)}` : 'Credits granted';
    case 'credits.low':
      return `Balance fell below ${credits(d.threshold ?? 0)}: ${credits(d.balance?.available ?? 0)} left`;
    case 'credits.depleted':
      return 'No credits left';
    case 'credits.expiring_soon':
      return `${credits(d.credits ?? 0)} expire on ${date(d.expiresAt ?? null)}`;
    case 'credits.expired':
      return `${credits(d.amount ?? 0)} expired${d.grant ? ` (${SOURCE_LABEL[d.grant.source].toLowerCase()})` : ''}`;
    case 'credits.voided':
      return `${credits(d.amount ?? 0)} voided${why(d.reason)}`;
    case 'generation.completed':
      return d.generation ? `${d.generation.toolId} completed: ${credits(d.generation.charged)} charged` : 'Generation completed';
    case 'generation.failed':
      return d.generation
        ? `${d.generation.toolId} failed${why([d.reason ?? d.generation.failureReason, d.message ?? d.generation.failureMessage].filter(Boolean).join(' — '))}; ${credits(d.generation.cost - d.generation.charged)} returned${d.generation.charged > 0 ? `, ${credits(d.generation.charged)} charged` : ''}`
        : 'Generation failed';
    case 'generation.refunded':
      return `${credits(d.amount ?? 0)} refunded${d.generation ? ` for ${d.generation.toolId}` : ''}${why(d.reason)}`;
    case 'purchase.paid':
      return d.purchase ? `${d.purchase.packId} paid: ${credits(d.purchase.credits)} for ${money(d.purchase.price)}` : 'Purchase paid';
    case 'purchase.refunded':
      return d.purchase ? `${d.purchase.packId} refunded` : 'Purchase refunded';
    case 'subscription.started':
    case 'subscription.renewed':
    case 'subscription.changed':
    case 'subscription.canceled': {
      const s = d.subscription;
      const verb = e.type.slice('subscription.'.length);
      return s ? `Plan ${s.planId} ${verb}${s.cancelAtPeriodEnd ? `, ends ${date(s.currentPeriodEnd)}` : `, period ends ${date(s.currentPeriodEnd)}`}` : `Subscription ${verb}`;
    }
    case 'auto_top_up.succeeded':
      return d.purchase ? `Auto top-up paid: ${credits(d.purchase.credits)} for ${money(d.purchase.price)}` : 'Auto top-up paid';
    case 'auto_top_up.failed':
      return `Auto top-up failed${why(d.reason)}${d.failuresInRow ? ` (${d.failuresInRow} in a row)` : ''}`;
    case 'auto_top_up.disabled':
      return `Auto top-up turned itself off${why(d.reason)}`;
  }
}

/** The customer's events, newest first, a page at a time; each opens to its JSON data. */
export function CustomerEvents({ customerId }: { customerId: string }) {
  const [events, setEvents] = useState<PurseEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const load = async (from: string | null) => {
    setBusy(true);
    try {
      const page = await request<Page<PurseEvent>>('/v1/events', { auth: 'key', query: { customerId, limit: EVENTS_PAGE_SIZE, cursor: from ?? undefined } });
      setEvents((old) => (from && old ? [...old, ...page.data] : page.data));
      setCursor(page.nextCursor);
      setError(undefined);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    void load(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [customerId]);

  if (!events) return error ? <ErrorNotice error={error} /> : <Loading label="Loading events…" />;
  return (
    <section className="card stack" aria-labelledby="events-heading">
      <div className="row between wrap">
        <h2 id="events-heading">Events</h2>
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => void load(null)} disabled={busy}>
          Refresh
        </button>
      </div>
      <ErrorNotice error={error} />
      {events.length === 0 ? (
        <p className="muted">No events for this customer yet.</p>
      ) : (
        <ol className="event-list" data-testid="events">
          {events.map((e) => (
            <li key={e.id} className="event-item" data-testid="event-row">
              <div className="event-head">
                <code className="event-type">{e.type}</code>
                <time className="muted small" dateTime={e.createdAt}>
                  {dateTime(e.createdAt)}
                </time>
                <span className="muted small">#{num(e.sequence)}</span>
              </div>
              <span className="break">{describeEvent(e)}</span>
              <details>
                <summary className="small">Data · {e.id}</summary>
                <pre className="event-json">{JSON.stringify(e.data, null, 2)}</pre>
              </details>
            </li>
          ))}
        </ol>
      )}
      {cursor && (
        <div className="row center-row">
          <button type="button" className="btn btn-secondary" onClick={() => void load(cursor)} disabled={busy}>
            Load more
          </button>
        </div>
      )}
    </section>
  );
}

/** "100, 20" → [100, 20]; null when a part is not a whole number of at least 1. */
function parseThresholds(text: string): number[] | null {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const values = parts.map(Number);
  return values.every((n) => Number.isSafeInteger(n) && n >= 1) ? values : null;
}

/** The customer's alert settings: when `credits.low` and `credits.expiring_soon` fire; editable in place. */
export function AlertsCard({ customerId, alerts, onSaved }: { customerId: string; alerts: Alerts; onSaved: () => Promise<void> }) {
  const [editing, setEditing] = useState(false);
  const [thresholds, setThresholds] = useState('');
  const [days, setDays] = useState('');
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const open = () => {
    setThresholds(alerts.lowBalance.join(', '));
    setDays(String(alerts.expiringSoonDays));
    setError(undefined);
    setSaved(false);
    setEditing(true);
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const lowBalance = parseThresholds(thresholds);
    const expiringSoonDays = Number(days);
    if (!lowBalance) return setError('Low-balance thresholds are whole numbers of credits, separated by commas.');
    if (days.trim() === '' || !Number.isInteger(expiringSoonDays) || expiringSoonDays < 0) return setError('Days before expiry is a whole number, 0 or more.');
    setBusy(true);
    setError(undefined);
    try {
      await request(`/v1/customers/${seg(customerId)}/alerts`, { method: 'PUT', auth: 'key', body: { lowBalance, expiringSoonDays } });
      await onSaved();
      setEditing(false);
      setSaved(true);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const sorted = [...alerts.lowBalance].sort((a, b) => b - a);
  return (
    <section className="card stack" aria-labelledby="alerts-heading" data-testid="alerts">
      <h2 id="alerts-heading">Alerts</h2>
      {saved && <Notice kind="success">Alert settings saved.</Notice>}
      {!editing ? (
        <>
          <dl className="facts">
            <dt>Low balance</dt>
            <dd data-testid="alerts-low">{sorted.length ? sorted.map((n) => `below ${num(n)}`).join(', ') : 'Off'}</dd>
            <dt>Expiring credits</dt>
            <dd data-testid="alerts-expiring">{alerts.expiringSoonDays > 0 ? `${alerts.expiringSoonDays} ${alerts.expiringSoonDays === 1 ? 'day' : 'days'} before` : 'Off'}</dd>
          </dl>
          <div>
            <button type="button" className="btn btn-secondary" onClick={open}>
              Edit alerts
            </button>
          </div>
        </>
      ) : (
        <form className="stack" onSubmit={save}>
          <label className="field">
            <span>Low-balance thresholds (credits)</span>
            <input name="lowBalance" value={thresholds} onChange={(e) => setThresholds(e.target.value)} placeholder="100, 20" inputMode="numeric" aria-describedby="low-hint" />
            <small id="low-hint" className="muted">
              Comma-separated; <code>credits.low</code> fires once each time the balance falls below one. Empty turns it off.
            </small>
          </label>
          <label className="field">
            <span>Announce expiring credits (days before)</span>
            <input type="number" name="expiringSoonDays" min={0} max={365} step={1} value={days} onChange={(e) => setDays(e.target.value)} />
          </label>
          {error && <Notice kind="error">{error}</Notice>}
          <div className="row wrap">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save alerts'}
            </button>
            <button type="button" className="btn btn-ghost" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
