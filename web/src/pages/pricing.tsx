import { Link } from 'wouter';
import { request } from '../api/client';
import type { Pricing } from '../api/types';
import { useBalance } from '../components/balance';
import { DataTable } from '../components/data-table';
import { ErrorNotice, Loading } from '../components/ui';
import { credits, money, num, periodLabel, plural } from '../lib/format';
import { useAsync } from '../lib/use-async';
import { useTitle } from '../lib/use-title';

/** Plans with their monthly credits and price, packs, and what every tool costs. */
export function PricingPage() {
  useTitle('Pricing');
  const { data, error, loading } = useAsync(() => request<Pricing>('/v1/pricing'), []);
  const { balance } = useBalance();
  const current = balance?.subscription?.planId;

  return (
    <div className="stack-lg">
      <div>
        <h1>Pricing</h1>
        <p className="muted">A plan gives you credits every period. Packs add credits that never expire. Each tool costs a set number of credits.</p>
      </div>
      <ErrorNotice error={error} />
      {loading && !data && <Loading />}
      {data && (
        <>
          <section aria-labelledby="plans-heading" className="stack">
            <h2 id="plans-heading">Plans</h2>
            <ul className="card-grid" data-testid="plans">
              {data.plans.map((p) => (
                <li key={p.id} className={p.id === current ? 'card plan-card current' : 'card plan-card'} data-testid={`plan-${p.id}`}>
                  <div className="row between">
                    <h3>{p.name}</h3>
                    {p.id === current && <span className="badge">Your plan</span>}
                  </div>
                  <p className="price">
                    {money(p.price)}
                    <span> / {periodLabel(p.period)}</span>
                  </p>
                  <p className="plan-credits">
                    <strong>{num(p.creditsPerPeriod)}</strong> credits every {periodLabel(p.period)}
                  </p>
                  <ul className="checks">
                    <li>{p.rollover.max > 0 ? `Up to ${num(p.rollover.max)} unused credits roll over` : 'Unused credits reset each period'}</li>
                    <li>Failed generations cost nothing</li>
                  </ul>
                  {p.description && <p className="muted small">{p.description}</p>}
                </li>
              ))}
            </ul>
          </section>

          <section aria-labelledby="packs-heading" className="stack">
            <h2 id="packs-heading">Credit packs</h2>
            <ul className="card-grid" data-testid="packs">
              {data.packs.map((p) => (
                <li key={p.id} className="card pack-card" data-testid={`pack-${p.id}`}>
                  <h3>{p.name}</h3>
                  <p className="price">{money(p.price)}</p>
                  <p className="muted small">
                    {credits(p.credits)} · {p.expiresInDays ? `expire after ${p.expiresInDays} days` : 'never expire'}
                  </p>
                  <Link href={`/buy?pack=${encodeURIComponent(p.id)}`} className="btn btn-secondary" aria-label={`Buy ${p.name} for ${money(p.price)}`}>
                    Buy
                  </Link>
                </li>
              ))}
            </ul>
          </section>

          <section aria-labelledby="tools-heading" className="card stack">
            <h2 id="tools-heading">What each tool costs</h2>
            <DataTable
              caption="Tool costs"
              filename="tool-costs"
              testId="tool-costs"
              rows={data.tools}
              rowKey={(t) => t.id}
              columns={[
                { header: 'Tool', cell: (t) => t.name },
                { header: 'What it does', wrap: true, cell: (t) => t.description ?? '' },
                { header: 'Credits', numeric: true, cell: (t) => num(t.credits), csv: (t) => t.credits },
                { header: 'Per', cell: (t) => (t.unit === 'generation' ? 'generation' : t.unit), csv: (t) => t.unit },
                { header: 'Example', cell: (t) => (t.unit === 'generation' ? credits(t.credits) : `${num(t.unit === 'second' ? 10 : 4)} ${plural(t.unit)} = ${credits(t.credits * (t.unit === 'second' ? 10 : 4))}`) },
              ]}
            />
          </section>
        </>
      )}
    </div>
  );
}
