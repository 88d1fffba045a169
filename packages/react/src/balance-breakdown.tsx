import { useId, useState, type ReactNode } from 'react';
import { Breakdown } from './breakdown';
import type { PurseConnection } from './client';
import { credits, num } from './format';
import { ErrorNotice, Loading } from './ui';
import { useBalance } from './use-balance';
import { usePricing } from './use-pricing';

export interface BalanceBreakdownProps extends PurseConnection {
  /** Shown beside "Learn more", e.g. a link to your pricing page or a BuyButton. */
  actions?: ReactNode;
  /** Open the breakdown at first. */
  defaultOpen?: boolean;
}

/**
 * The balance with "Learn more": where the credits come from — plan credits and
 * when they reset, add-on credits that never expire, bonus credits and their
 * expiry, and credits held by running generations.
 */
export function BalanceBreakdown({ actions, defaultOpen = false, ...conn }: BalanceBreakdownProps) {
  const { balance, error } = useBalance(conn);
  const { pricing } = usePricing(conn.baseUrl);
  const [open, setOpen] = useState(defaultOpen);
  const panel = useId();
  if (!balance) return error ? <ErrorNotice error={error} /> : <Loading />;
  const planName = balance.subscription ? pricing?.plans.find((p) => p.id === balance.subscription!.planId)?.name : undefined;
  return (
    <section className="card balance-card purse-ui" aria-labelledby={`${panel}-heading`}>
      <div className="balance-top">
        <div>
          <h2 id={`${panel}-heading`} className="eyebrow">
            Available balance
          </h2>
          <p className="big-number" data-testid="credits-balance">
            {num(balance.available)} <span>credits</span>
          </p>
          {balance.reserved > 0 && <p className="muted">{credits(balance.reserved)} held by running generations</p>}
        </div>
        <div className="row wrap">
          {actions}
          <button type="button" className="btn btn-secondary" aria-expanded={open} aria-controls={panel} onClick={() => setOpen((o) => !o)} data-testid="learn-more">
            {open ? 'Hide details' : 'Learn more'}
          </button>
        </div>
      </div>
      <div id={panel} hidden={!open}>
        <Breakdown balance={balance} planName={planName} />
        <p className="muted small">Plan credits are spent first, as they expire soonest; add-on credits from packs never expire and roll over.</p>
      </div>
    </section>
  );
}
