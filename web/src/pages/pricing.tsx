import { money, PricingTable } from '@purse/react';
import { Link } from 'wouter';
import { useBalance } from '../components/balance';
import { Loading } from '../components/ui';
import { useTitle } from '../lib/use-title';

/** Purse's pricing table: plans, packs (each leading to the buy page) and what every tool costs. */
export function PricingPage() {
  useTitle('Pricing');
  const { conn } = useBalance();
  return (
    <div className="stack-lg">
      <div>
        <h1>Pricing</h1>
        <p className="muted">A plan gives you credits every period. Packs add credits that never expire. Each tool costs a set number of credits.</p>
      </div>
      {conn ? (
        <PricingTable
          {...conn}
          packAction={(p) => (
            <Link href={`/buy?pack=${encodeURIComponent(p.id)}`} className="btn btn-secondary" aria-label={`Buy ${p.name} for ${money(p.price)}`}>
              Buy
            </Link>
          )}
        />
      ) : (
        <Loading />
      )}
    </div>
  );
}
