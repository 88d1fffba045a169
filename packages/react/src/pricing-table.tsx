import type { ReactNode } from 'react';
import { BuyButton } from './buy-button';
import type { PurseConnection } from './client';
import { DataTable } from './data-table';
import { credits, money, num, periodLabel, plural } from './format';
import type { Balance, Purchase, PricingPack } from './types';
import { ErrorNotice, Loading } from './ui';
import { useBalance } from './use-balance';
import { usePricing } from './use-pricing';

export interface PricingTableProps extends PurseConnection {
  /** What each pack offers to do; by default a BuyButton that buys it at once. */
  packAction?: (pack: PricingPack) => ReactNode;
  /** Called after a default BuyButton's purchase. */
  onPurchased?: (purchase: Purchase, balance: Balance | null) => void;
}

/** An example for per-unit tools: what a few units cost. */
const exampleUnits = (unit: string) => (unit === 'second' ? 10 : 4);

/**
 * The pricing page's body: plans (the customer's own marked), credit packs,
 * and what every tool costs, from the public `GET /v1/pricing`.
 */
export function PricingTable({ packAction, onPurchased, ...conn }: PricingTableProps) {
  const { pricing, error } = usePricing(conn.baseUrl);
  const { balance } = useBalance(conn);
  const current = balance?.subscription?.planId;
  if (error) return <ErrorNotice error={error} />;
  if (!pricing) return <Loading />;
  const action =
    packAction ??
    ((p: PricingPack) => (
      <BuyButton {...conn} packId={p.id} className="btn btn-secondary" aria-label={`Buy ${p.name} for ${money(p.price)}`} onPurchased={onPurchased}>
        Buy
      </BuyButton>
    ));

  return (
    <div className="stack-lg purse-ui">
      <section aria-labelledby="plans-heading" className="stack">
        <h2 id="plans-heading">Plans</h2>
        <ul className="card-grid" data-testid="plans">
          {pricing.plans.map((p) => (
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
          {pricing.packs.map((p) => (
            <li key={p.id} className="card pack-card" data-testid={`pack-${p.id}`}>
              <h3>{p.name}</h3>
              <p className="price">{money(p.price)}</p>
              <p className="muted small">
                {credits(p.credits)} · {p.expiresInDays ? `expire after ${p.expiresInDays} days` : 'never expire'}
              </p>
              {action(p)}
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
          rows={pricing.tools}
          rowKey={(t) => t.id}
          columns={[
            { header: 'Tool', cell: (t) => t.name },
            { header: 'What it does', wrap: true, cell: (t) => t.description ?? '' },
            { header: 'Credits', numeric: true, cell: (t) => num(t.credits), csv: (t) => t.credits },
            { header: 'Per', cell: (t) => t.unit, csv: (t) => t.unit },
            { header: 'Example', cell: (t) => (t.unit === 'generation' ? credits(t.credits) : `${num(exampleUnits(t.unit))} ${plural(t.unit)} = ${credits(t.credits * exampleUnits(t.unit))}`) },
          ]}
        />
      </section>
    </div>
  );
}
