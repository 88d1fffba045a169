import { useState } from 'react';
import { Link, useSearch } from 'wouter';
import { ApiError, request, seg } from '../api/client';
import type { Alerts, Balance, Customer, Generation, Grant, LedgerEntry, LimitsState, Page, Plan, Subscription, Tool } from '../api/types';
import { LimitsCard } from './limits-card';
import { MembersCard } from './members-card';
import { Breakdown, credits, DataTable, date, dateTime, HISTORY_PAGE_SIZE, LedgerTable, num, SOURCE_LABEL } from '@purse/react';
import { ReasonDialog } from '../components/reason-dialog';
import { AlertsCard, CustomerEvents } from './customer-events';
import { AutoTopUpCard } from './auto-top-up';
import { ErrorNotice, Loading, Notice, Stat } from '../components/ui';
import { useAsync } from '../lib/use-async';
import { useTitle } from '../lib/use-title';

interface Data {
  customer: Customer;
  balance: Balance;
  alerts: Alerts;
  limits: LimitsState;
  subscription: Subscription | null;
  grants: Grant[];
  generations: Page<Generation>;
  plans: Plan[];
  tools: Tool[];
}

type Action =
  | { kind: 'grant' }
  | { kind: 'void'; grant: Grant }
  | { kind: 'refund'; generation: Generation }
  | { kind: 'plan' }
  | { kind: 'cancel' };


async function load(id: string): Promise<Data> {
  const c = `/v1/customers/${seg(id)}`;
  const [customer, balance, alerts, limits, subscription, grants, generations, plans, tools] = await Promise.all([
    request<Customer>(c, { auth: 'key' }),
    request<Balance>(`${c}/balance`, { auth: 'key' }),
    request<Alerts>(`${c}/alerts`, { auth: 'key' }),
    request<LimitsState>(`${c}/limits`, { auth: 'key' }),
    request<Subscription>(`${c}/subscription`, { auth: 'key' }).catch((err) => {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }),
    request<{ data: Grant[] }>(`${c}/grants`, { auth: 'key' }),
    request<Page<Generation>>(`${c}/generations`, { auth: 'key', query: { limit: 50 } }),
    request<{ data: Plan[] }>('/v1/plans', { auth: 'key' }),
    request<{ data: Tool[] }>('/v1/tools', { auth: 'key' }),
  ]);
  return { customer, balance, alerts, limits, subscription, grants: grants.data, generations, plans: plans.data, tools: tools.data };
}

/**
 * One customer for support: balance, breakdown, plan, alerts, grants, generations
 * and ledger, with the actions that need a reason; the Events tab (`?tab=events`)
 * lists the customer's events.
 */
export function CustomerPage({ customerId }: { customerId: string }) {
  useTitle(`Customer ${customerId}`);
  const { data, error, loading, reload } = useAsync(() => load(customerId), [customerId]);
  const [action, setAction] = useState<Action | null>(null);
  const [done, setDone] = useState<string>();
  const [version, setVersion] = useState(0);
  const [amount, setAmount] = useState(100);
  const [expires, setExpires] = useState('');
  const [planId, setPlanId] = useState('');
  const tab = new URLSearchParams(useSearch()).get('tab') === 'events' ? 'events' : 'overview';

  if (error && !data) return <ErrorNotice error={error} />;
  if (!data) return <Loading />;
  const { customer, balance, alerts, limits, subscription, grants, generations, plans, tools } = data;
  const toolName = (id: string) => tools.find((t) => t.id === id)?.name ?? id;
  const planName = (id: string) => plans.find((p) => p.id === id)?.name ?? id;
  const after = async (message: string) => {
    setDone(message);
    setVersion((v) => v + 1);
    await reload();
  };

  return (
    <div className="stack-lg">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href="/">Customers</Link> <span aria-hidden="true">/</span> <span>{customer.id}</span>
      </nav>
      <div className="row between wrap">
        <div>
          <h1 className="break">{customer.name ?? customer.id}</h1>
          <p className="muted break">
            {customer.id}
            {customer.email ? ` · ${customer.email}` : ''} · customer since {date(customer.createdAt)}
          </p>
        </div>
        <button type="button" className="btn btn-primary" onClick={() => setAction({ kind: 'grant' })} data-testid="grant-open">
          Grant bonus credits
        </button>
      </div>
      {done && <Notice kind="success" testId="action-done">{done}</Notice>}
      {loading && <span className="sr-only" role="status">Refreshing…</span>}

      <div className="stats">
        <Stat label="Available" value={num(balance.available)} testId="customer-available" hint="credits" />
        <Stat label="Held" value={num(balance.reserved)} hint="by running generations" />
        <Stat label="Plan" value={subscription ? planName(subscription.planId) : 'None'} hint={subscription ? `${subscription.status}${subscription.cancelAtPeriodEnd ? ', cancels at period end' : ''}` : 'not subscribed'} />
        <Stat label="Period ends" value={subscription ? date(subscription.currentPeriodEnd) : '—'} hint={subscription?.pendingPlanId ? `then ${planName(subscription.pendingPlanId)}` : undefined} />
      </div>

      <div className="tabs" role="tablist" aria-label="Customer">
        <Link href={`/customers/${seg(customer.id)}`} role="tab" aria-selected={tab === 'overview'} className="tab">
          Overview
        </Link>
        <Link href={`/customers/${seg(customer.id)}?tab=events`} role="tab" aria-selected={tab === 'events'} className="tab" data-testid="events-tab">
          Events
        </Link>
      </div>

      {tab === 'events' ? (
        <CustomerEvents customerId={customer.id} />
      ) : (
        <>
          <div className="two-col">
            <section className="card stack" aria-labelledby="bd-heading">
              <h2 id="bd-heading">Breakdown</h2>
              <Breakdown balance={balance} planName={subscription ? planName(subscription.planId) : undefined} />
            </section>
            <div className="stack-lg">
              <section className="card stack" aria-labelledby="sub-heading" data-testid="subscription">
                <h2 id="sub-heading">Subscription</h2>
                {subscription ? (
                  <dl className="facts">
                    <dt>Plan</dt>
                    <dd>{planName(subscription.planId)}</dd>
                    <dt>Status</dt>
                    <dd>{subscription.cancelAtPeriodEnd ? `${subscription.status}, cancels on ${date(subscription.currentPeriodEnd)}` : subscription.status}</dd>
                    <dt>Current period</dt>
                    <dd>
                      {date(subscription.currentPeriodStart)} – {date(subscription.currentPeriodEnd)}
                    </dd>
                    {subscription.pendingPlanId && (
                      <>
                        <dt>Next plan</dt>
                        <dd>{planName(subscription.pendingPlanId)}</dd>
                      </>
                    )}
                  </dl>
                ) : (
                  <p className="muted">Not subscribed to a plan.</p>
                )}
                {subscription?.changeReason && <p className="muted small break">Reason for the last change: {subscription.changeReason}</p>}
                <div className="row wrap">
                  <button type="button" className="btn btn-secondary" onClick={() => { setPlanId(subscription?.planId ?? plans[0]?.id ?? ''); setAction({ kind: 'plan' }); }}>
                    {subscription ? 'Change plan' : 'Subscribe'}
                  </button>
                  {subscription && !subscription.cancelAtPeriodEnd && subscription.status !== 'canceled' && (
                    <button type="button" className="btn btn-ghost danger-text" onClick={() => setAction({ kind: 'cancel' })}>
                      Cancel plan
                    </button>
                  )}
                </div>
              </section>
              <AlertsCard customerId={customer.id} alerts={alerts} onSaved={reload} />
              <LimitsCard customerId={customer.id} state={limits} tools={tools} onSaved={reload} />
            </div>
          </div>

          <AutoTopUpCard customerId={customer.id} onSaved={reload} version={version} />

          <MembersCard customerId={customer.id} version={version} />

          <section className="card stack" aria-labelledby="grants-heading">
            <h2 id="grants-heading">Grants</h2>
            <DataTable
              caption="Grants"
              filename={`grants-${customer.id}`}
              testId="grants"
              rowTestId="grant-row"
              rows={grants}
              rowKey={(g) => g.id}
              columns={[
                { header: 'Source', cell: (g) => SOURCE_LABEL[g.source], csv: (g) => g.source },
                { header: 'Amount', numeric: true, cell: (g) => num(g.amount), csv: (g) => g.amount },
                { header: 'Remaining', numeric: true, cell: (g) => num(g.remaining), csv: (g) => g.remaining },
                { header: 'Expires', cell: (g) => (g.expiresAt ? date(g.expiresAt) : 'Never'), csv: (g) => g.expiresAt ?? '' },
                { header: 'Reason', wrap: true, cell: (g) => g.reason ?? '' },
                { header: 'Granted', cell: (g) => date(g.createdAt), csv: (g) => g.createdAt },
                { header: 'State', cell: (g) => (g.voidedAt ? 'voided' : g.expiresAt && g.expiresAt < balance.asOf ? 'expired' : g.remaining > 0 ? 'active' : 'used up') },
                {
                  header: 'Actions',
                  csv: () => '',
                  cell: (g) =>
                    !g.voidedAt && g.remaining > 0 && !(g.expiresAt && g.expiresAt < balance.asOf) ? (
                      <button type="button" className="btn btn-ghost btn-sm danger-text" onClick={() => setAction({ kind: 'void', grant: g })} aria-label={`Void ${SOURCE_LABEL[g.source].toLowerCase()} grant of ${g.amount}, ${g.remaining} left`}>
                        Void
                      </button>
                    ) : null,
                },
              ]}
            />
          </section>

          <section className="card stack" aria-labelledby="gens-heading">
            <h2 id="gens-heading">Generations</h2>
            <DataTable
              caption="Generations"
              filename={`generations-${customer.id}`}
              testId="generations"
              rowTestId="generation-row"
              rows={generations.data}
              rowKey={(g) => g.id}
              empty="No generations yet."
              columns={[
                { header: 'When', cell: (g) => dateTime(g.createdAt), csv: (g) => g.createdAt },
                { header: 'Tool', cell: (g) => toolName(g.toolId), csv: (g) => g.toolId },
                { header: 'Member', cell: (g) => g.memberId ?? '', csv: (g) => g.memberId ?? '' },
                { header: 'Status', cell: (g) => <span className={`pill pill-${g.status}`}>{g.status}</span>, csv: (g) => g.status },
                { header: 'Units', numeric: true, cell: (g) => num(g.units), csv: (g) => g.units },
                { header: 'Cost', numeric: true, cell: (g) => num(g.cost), csv: (g) => g.cost },
                { header: 'Charged', numeric: true, cell: (g) => num(g.charged), csv: (g) => g.charged },
                { header: 'Refunded', numeric: true, cell: (g) => num(g.refunded), csv: (g) => g.refunded },
                { header: 'Id', cell: (g) => <code className="id">{g.id}</code>, csv: (g) => g.id },
                {
                  header: 'Actions',
                  csv: () => '',
                  cell: (g) =>
                    g.status === 'completed' && g.charged - g.refunded > 0 ? (
                      <button type="button" className="btn btn-ghost btn-sm" onClick={() => setAction({ kind: 'refund', generation: g })} aria-label={`Refund ${toolName(g.toolId)} generation ${g.id}`} data-testid={`refund-${g.id}`}>
                        Refund
                      </button>
                    ) : null,
                },
              ]}
            />
            {generations.nextCursor && <p className="muted small">Showing the 50 newest generations.</p>}
          </section>

          <section className="card stack" aria-labelledby="ledger-heading">
            <h2 id="ledger-heading">Ledger</h2>
            <LedgerTable
              key={customer.id}
              load={(cursor) => request<Page<LedgerEntry>>(`/v1/customers/${seg(customer.id)}/ledger`, { auth: 'key', query: { limit: HISTORY_PAGE_SIZE, cursor: cursor ?? undefined } })}
              toolName={toolName}
              version={version}
              filename={`ledger-${customer.id}`}
              operator
            />
          </section>
        </>
      )}

      {action?.kind === 'grant' && (
        <ReasonDialog
          title="Grant bonus credits"
          description={`Adds bonus credits to ${customer.id}'s balance. They are spent before credits that never expire if they expire sooner.`}
          confirmLabel="Grant credits"
          onClose={() => setAction(null)}
          onConfirm={async (reason) => {
            if (!Number.isInteger(amount) || amount < 1) throw new Error('The amount must be a whole number of credits, at least 1.');
            const body = { amount, source: 'bonus', reason, ...(expires ? { expiresAt: new Date(`${expires}T23:59:59.999Z`).toISOString() } : {}) };
            await request(`/v1/customers/${seg(customer.id)}/grants`, { method: 'POST', auth: 'key', body });
            setExpires('');
            await after(`Granted ${credits(amount)} to ${customer.id}.`);
          }}
        >
          <div className="row wrap">
            <label className="field grow">
              <span>Amount</span>
              <input type="number" name="amount" min={1} step={1} value={amount} onChange={(e) => setAmount(Math.floor(Number(e.target.value)))} required />
            </label>
            <label className="field grow">
              <span>Expires on (optional, UTC)</span>
              <input type="date" name="expiresAt" value={expires} onChange={(e) => setExpires(e.target.value)} />
            </label>
          </div>
        </ReasonDialog>
      )}
      {action?.kind === 'void' && (
        <ReasonDialog
          title="Void grant"
          danger
          description={`Takes back the ${credits(action.grant.remaining)} left of this ${SOURCE_LABEL[action.grant.source].toLowerCase()} grant (${action.grant.reason ?? action.grant.id}).`}
          confirmLabel={`Void ${credits(action.grant.remaining)}`}
          onClose={() => setAction(null)}
          onConfirm={async (reason) => {
            await request(`/v1/grants/${seg(action.grant.id)}/void`, { method: 'POST', auth: 'key', body: { reason } });
            await after(`Voided the grant: ${credits(action.grant.remaining)} taken back.`);
          }}
        />
      )}
      {action?.kind === 'refund' && (
        <ReasonDialog
          title="Refund generation"
          description={`Gives back the ${credits(action.generation.charged - action.generation.refunded)} charged for this ${toolName(action.generation.toolId)} generation.`}
          confirmLabel={`Refund ${credits(action.generation.charged - action.generation.refunded)}`}
          onClose={() => setAction(null)}
          onConfirm={async (reason) => {
            const g = await request<Generation>(`/v1/generations/${seg(action.generation.id)}/refund`, { method: 'POST', auth: 'key', body: { reason } });
            await after(`Refunded ${credits(g.refunded - action.generation.refunded)} for generation ${g.id}.`);
          }}
        />
      )}
      {action?.kind === 'plan' && (
        <ReasonDialog
          title={subscription ? 'Change plan' : 'Subscribe to a plan'}
          description="An upgrade starts a new period now; a downgrade takes effect at the end of the current period."
          confirmLabel={subscription ? 'Change plan' : 'Subscribe'}
          onClose={() => setAction(null)}
          onConfirm={async (reason) => {
            if (!planId) throw new Error('Choose a plan.');
            const s = await request<Subscription & { effect: string; checkoutUrl: string | null }>(`/v1/customers/${seg(customer.id)}/subscription`, { method: 'PUT', auth: 'key', body: { planId, reason } });
            await after(`Plan change for ${customer.id}: ${planName(planId)} (${s.effect.replace(/_/g, ' ')}).${s.checkoutUrl ? ' The customer must pay at checkout first.' : ''}`);
          }}
        >
          <label className="field">
            <span>New plan</span>
            <select name="planId" value={planId} onChange={(e) => setPlanId(e.target.value)}>
              {plans.filter((p) => p.active !== false).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} · {num(p.creditsPerPeriod)} credits / {p.period}
                </option>
              ))}
            </select>
          </label>
        </ReasonDialog>
      )}
      {action?.kind === 'cancel' && subscription && (
        <ReasonDialog
          title="Cancel plan"
          danger
          description={`${planName(subscription.planId)} ends on ${date(subscription.currentPeriodEnd)}; the customer keeps its credits until then.`}
          confirmLabel="Cancel at period end"
          onClose={() => setAction(null)}
          onConfirm={async (reason) => {
            await request(`/v1/customers/${seg(customer.id)}/subscription`, { method: 'DELETE', auth: 'key', body: { reason } });
            await after(`${planName(subscription.planId)} will end on ${date(subscription.currentPeriodEnd)}.`);
          }}
        />
      )}
    </div>
  );
}
