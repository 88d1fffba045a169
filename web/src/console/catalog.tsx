import { useState, type FormEvent, type ReactNode } from 'react';
import { request, seg } from '../api/client';
import type { Pack, Plan, Tool } from '../api/types';
import { credits, DataTable, dateTime, money, num, periodLabel, toolCost } from '@purse/react';
import { ErrorNotice, Loading, Notice } from '../components/ui';
import { useAsync } from '../lib/use-async';
import { useTitle } from '../lib/use-title';

/** Minor units (cents) from what an operator types ("29", "29.00"). */
const toMinor = (text: string) => Math.round(Number(text) * 100);
const fromMinor = (amount: number) => (amount / 100).toFixed(2);

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

/** A card that shows an item and turns into its form when edited; saving PUTs the whole item. */
function EditableCard<T extends { id: string; active?: boolean }, F>({
  item,
  kind,
  view,
  toForm,
  fields,
  save,
  onSaved,
  extra,
}: {
  item: T;
  kind: string;
  view: ReactNode;
  toForm: (item: T) => F;
  fields: (form: F, set: (patch: Partial<F>) => void) => ReactNode;
  save: (form: F) => Promise<void>;
  onSaved: (message: string) => void;
  extra?: ReactNode;
}) {
  const [form, setForm] = useState<F | null>(null);
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!form) return;
    setBusy(true);
    setError(undefined);
    try {
      await save(form);
      setForm(null);
      onSaved(`Saved ${kind} ${item.id}.`);
    } catch (err) {
      setError(err as Error);
    }
    setBusy(false);
  };
  return (
    <li className="card stack catalog-card" data-testid={`${kind}-${item.id}`}>
      {form ? (
        <form className="stack" onSubmit={submit} aria-label={`Edit ${kind} ${item.id}`}>
          <p className="muted small">
            Editing {kind} <code>{item.id}</code>
          </p>
          {fields(form, (patch) => setForm({ ...form, ...patch }))}
          <ErrorNotice error={error} />
          <div className="row end">
            <button type="button" className="btn btn-ghost" onClick={() => setForm(null)}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save'}
            </button>
          </div>
        </form>
      ) : (
        <>
          {view}
          <div className="row wrap">
            <button type="button" className="btn btn-secondary btn-sm" onClick={() => setForm(toForm(item))} aria-label={`Edit ${kind} ${item.id}`}>
              Edit
            </button>
            {item.active === false && <span className="pill pill-failed">inactive</span>}
          </div>
          {extra}
        </>
      )}
    </li>
  );
}

function PriceHistory({ toolId }: { toolId: string }) {
  const [open, setOpen] = useState(false);
  const history = useAsync(() => (open ? request<{ data: { credits: number; unit: string; effectiveAt: string }[] }>(`/v1/tools/${seg(toolId)}/prices`, { auth: 'key' }) : Promise.resolve(null)), [open, toolId]);
  return (
    <div>
      <button type="button" className="btn btn-ghost btn-sm" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Hide price history' : 'Price history'}
      </button>
      {open && (
        <DataTable
          caption={`Price history of ${toolId}`}
          filename={`prices-${toolId}`}
          rows={history.data?.data ?? []}
          rowKey={(p) => p.effectiveAt + p.credits}
          empty={history.loading ? 'Loading…' : 'No prices recorded.'}
          columns={[
            { header: 'From', cell: (p) => dateTime(p.effectiveAt), csv: (p) => p.effectiveAt },
            { header: 'Credits', numeric: true, cell: (p) => num(p.credits), csv: (p) => p.credits },
            { header: 'Per', cell: (p) => p.unit },
          ]}
        />
      )}
    </div>
  );
}

interface Catalog {
  tools: Tool[];
  plans: Plan[];
  packs: Pack[];
}

/** Plans, packs and tools, edited in place; a tool's price change starts a new line in its history. */
export function CatalogPage() {
  useTitle('Catalog');
  const { data, error, reload } = useAsync(async (): Promise<Catalog> => {
    const [tools, plans, packs] = await Promise.all([
      request<{ data: Tool[] }>('/v1/tools', { auth: 'key' }),
      request<{ data: Plan[] }>('/v1/plans', { auth: 'key' }),
      request<{ data: Pack[] }>('/v1/packs', { auth: 'key' }),
    ]);
    return { tools: tools.data, plans: plans.data, packs: packs.data };
  }, []);
  const [saved, setSaved] = useState<string>();
  const onSaved = (m: string) => {
    setSaved(m);
    void reload();
  };

  if (error && !data) return <ErrorNotice error={error} />;
  if (!data) return <Loading />;
  return (
    <div className="stack-lg">
      <div>
        <h1>Catalog</h1>
        <p className="muted">Prices apply to generations reserved after the change; running ones keep the price they were reserved at.</p>
      </div>
      {saved && <Notice kind="success">{saved}</Notice>}

      <section aria-labelledby="cat-tools" className="stack">
        <h2 id="cat-tools">Tools</h2>
        <ul className="card-grid">
          {data.tools.map((t) => (
            <EditableCard
              key={t.id + t.credits + t.name}
              item={t}
              kind="tool"
              onSaved={onSaved}
              view={
                <>
                  <h3>{t.name}</h3>
                  <p className="price small-price">{toolCost(t)}</p>
                  <p className="muted small">{t.description}</p>
                  <p className="muted small">Hold: {num(Math.round((t.holdSeconds ?? 900) / 60))} min · reports within {num(t.reportWindowHours ?? 24)} h</p>
                  {t.refundPolicy && Object.keys(t.refundPolicy).length > 0 && (
                    <p className="muted small" data-testid="refund-policy">
                      Refunds: {Object.entries(t.refundPolicy).map(([reason, percent]) => `${reason.replace('_', ' ')} ${percent} %`).join(', ')}
                    </p>
                  )}
                </>
              }
              extra={<PriceHistory toolId={t.id} />}
              toForm={(x) => ({ name: x.name, credits: String(x.credits), unit: x.unit, description: x.description ?? '', holdSeconds: String(x.holdSeconds ?? 900), reportWindowHours: String(x.reportWindowHours ?? 24), active: x.active !== false })}
              fields={(f, set) => (
                <>
                  <Field label="Name">
                    <input value={f.name} onChange={(e) => set({ name: e.target.value })} required />
                  </Field>
                  <div className="row wrap">
                    <Field label="Credits">
                      <input type="number" min={0} step={1} value={f.credits} onChange={(e) => set({ credits: e.target.value })} required />
                    </Field>
                    <Field label="Per unit">
                      <input value={f.unit} onChange={(e) => set({ unit: e.target.value })} required />
                    </Field>
                  </div>
                  <Field label="Description">
                    <textarea rows={2} value={f.description} onChange={(e) => set({ description: e.target.value })} />
                  </Field>
                  <div className="row wrap">
                    <Field label="Hold (seconds)">
                      <input type="number" min={1} step={1} value={f.holdSeconds} onChange={(e) => set({ holdSeconds: e.target.value })} />
                    </Field>
                    <Field label="Report window (hours)">
                      <input type="number" min={0} step={1} value={f.reportWindowHours} onChange={(e) => set({ reportWindowHours: e.target.value })} />
                    </Field>
                  </div>
                  <label className="check">
                    <input type="checkbox" checked={f.active} onChange={(e) => set({ active: e.target.checked })} /> Active
                  </label>
                </>
              )}
              save={(f) =>
                request(`/v1/tools/${seg(t.id)}`, {
                  method: 'PUT',
                  auth: 'key',
                  // The refund policy is set by API or catalog file; saving here keeps it.
                  body: { name: f.name, credits: Number(f.credits), unit: f.unit, description: f.description || null, holdSeconds: Number(f.holdSeconds), refundPolicy: t.refundPolicy ?? null, reportWindowHours: Number(f.reportWindowHours), active: f.active },
                }).then(() => undefined)
              }
            />
          ))}
        </ul>
      </section>

      <section aria-labelledby="cat-plans" className="stack">
        <h2 id="cat-plans">Plans</h2>
        <ul className="card-grid">
          {data.plans.map((p) => (
            <EditableCard
              key={p.id + p.creditsPerPeriod + p.price.amount + p.name}
              item={p}
              kind="plan"
              onSaved={onSaved}
              view={
                <>
                  <h3>{p.name}</h3>
                  <p className="price small-price">
                    {money(p.price)} <span>/ {periodLabel(p.period)}</span>
                  </p>
                  <p className="small">
                    {credits(p.creditsPerPeriod)} per {periodLabel(p.period)} · rollover up to {num(p.rollover.max)}
                  </p>
                  <p className="muted small">
                    Free retries: {p.freeRetriesPerPeriod === null ? 'unlimited' : num(p.freeRetriesPerPeriod ?? 0)} per {periodLabel(p.period)} · reports: {p.maxReportsPerDay === null || p.maxReportsPerDay === undefined ? 'unlimited' : `${num(p.maxReportsPerDay)} a day`}
                  </p>
                  {p.description && <p className="muted small">{p.description}</p>}
                </>
              }
              toForm={(x) => ({ name: x.name, creditsPerPeriod: String(x.creditsPerPeriod), period: x.period, price: fromMinor(x.price.amount), currency: x.price.currency, rollover: String(x.rollover.max), freeRetries: x.freeRetriesPerPeriod === null ? '' : String(x.freeRetriesPerPeriod ?? 0), maxReports: x.maxReportsPerDay == null ? '' : String(x.maxReportsPerDay), description: x.description ?? '', active: x.active !== false })}
              fields={(f, set) => (
                <>
                  <Field label="Name">
                    <input value={f.name} onChange={(e) => set({ name: e.target.value })} required />
                  </Field>
                  <div className="row wrap">
                    <Field label="Credits per period">
                      <input type="number" min={0} step={1} value={f.creditsPerPeriod} onChange={(e) => set({ creditsPerPeriod: e.target.value })} required />
                    </Field>
                    <Field label="Period">
                      <select value={f.period} onChange={(e) => set({ period: e.target.value as Plan['period'] })}>
                        {['day', 'week', 'month', 'year'].map((x) => (
                          <option key={x}>{x}</option>
                        ))}
                      </select>
                    </Field>
                  </div>
                  <div className="row wrap">
                    <Field label={`Price (${f.currency.toUpperCase()})`}>
                      <input type="number" min={0} step={0.01} value={f.price} onChange={(e) => set({ price: e.target.value })} required />
                    </Field>
                    <Field label="Rollover cap">
                      <input type="number" min={0} step={1} value={f.rollover} onChange={(e) => set({ rollover: e.target.value })} />
                    </Field>
                  </div>
                  <div className="row wrap">
                    <Field label="Free retries per period (empty: unlimited)">
                      <input type="number" min={0} step={1} value={f.freeRetries} onChange={(e) => set({ freeRetries: e.target.value })} />
                    </Field>
                    <Field label="Reports per day (empty: unlimited)">
                      <input type="number" min={0} step={1} value={f.maxReports} onChange={(e) => set({ maxReports: e.target.value })} />
                    </Field>
                  </div>
                  <Field label="Description">
                    <textarea rows={2} value={f.description} onChange={(e) => set({ description: e.target.value })} />
                  </Field>
                  <label className="check">
                    <input type="checkbox" checked={f.active} onChange={(e) => set({ active: e.target.checked })} /> Active
                  </label>
                </>
              )}
              save={(f) =>
                request(`/v1/plans/${seg(p.id)}`, {
                  method: 'PUT',
                  auth: 'key',
                  body: {
                    name: f.name,
                    creditsPerPeriod: Number(f.creditsPerPeriod),
                    period: f.period,
                    price: { amount: toMinor(f.price), currency: f.currency },
                    rollover: { max: Number(f.rollover) },
                    // Limits are set by API or catalog file; saving here keeps them.
                    limits: p.limits,
                    freeRetriesPerPeriod: f.freeRetries.trim() === '' ? null : Number(f.freeRetries),
                    maxReportsPerDay: f.maxReports.trim() === '' ? null : Number(f.maxReports),
                    description: f.description || null,
                    active: f.active,
                  },
                }).then(() => undefined)
              }
            />
          ))}
        </ul>
      </section>

      <section aria-labelledby="cat-packs" className="stack">
        <h2 id="cat-packs">Packs</h2>
        <ul className="card-grid">
          {data.packs.map((p) => (
            <EditableCard
              key={p.id + p.credits + p.price.amount + p.name}
              item={p}
              kind="pack"
              onSaved={onSaved}
              view={
                <>
                  <h3>{p.name}</h3>
                  <p className="price small-price">{money(p.price)}</p>
                  <p className="small">
                    {credits(p.credits)} · {p.expiresInDays ? `expire after ${p.expiresInDays} days` : 'never expire'}
                  </p>
                </>
              }
              toForm={(x) => ({ name: x.name, credits: String(x.credits), price: fromMinor(x.price.amount), currency: x.price.currency, expiresInDays: x.expiresInDays === null ? '' : String(x.expiresInDays), description: x.description ?? '', active: x.active !== false })}
              fields={(f, set) => (
                <>
                  <Field label="Name">
                    <input value={f.name} onChange={(e) => set({ name: e.target.value })} required />
                  </Field>
                  <div className="row wrap">
                    <Field label="Credits">
                      <input type="number" min={1} step={1} value={f.credits} onChange={(e) => set({ credits: e.target.value })} required />
                    </Field>
                    <Field label={`Price (${f.currency.toUpperCase()})`}>
                      <input type="number" min={0} step={0.01} value={f.price} onChange={(e) => set({ price: e.target.value })} required />
                    </Field>
                  </div>
                  <Field label="Expire after (days, empty for never)">
                    <input type="number" min={1} step={1} value={f.expiresInDays} onChange={(e) => set({ expiresInDays: e.target.value })} />
                  </Field>
                  <label className="check">
                    <input type="checkbox" checked={f.active} onChange={(e) => set({ active: e.target.checked })} /> Active
                  </label>
                </>
              )}
              save={(f) =>
                request(`/v1/packs/${seg(p.id)}`, {
                  method: 'PUT',
                  auth: 'key',
                  body: { name: f.name, credits: Number(f.credits), price: { amount: toMinor(f.price), currency: f.currency }, expiresInDays: f.expiresInDays ? Number(f.expiresInDays) : null, description: f.description || null, active: f.active },
                }).then(() => undefined)
              }
            />
          ))}
        </ul>
      </section>
    </div>
  );
}
