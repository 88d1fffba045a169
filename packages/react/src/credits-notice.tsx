import type { ReactNode } from 'react';
import type { PurseConnection } from './client';
import { credits, date } from './format';
import { useBalance } from './use-balance';

export interface CreditsNoticeProps extends PurseConnection {
  /**
   * Warn when the available balance is below this many credits. A customer
   * session cannot read the alert settings, so pass your lowest
   * `lowBalance` threshold (the one `credits.low` fires for). Without it there is
   * no low-balance banner.
   */
  lowBalanceBelow?: number;
  /** Shown in the low-balance banner, e.g. a link to your pack page or a BuyButton. */
  actions?: ReactNode;
}

/**
 * What the customer should know about their credits now: a low-balance banner
 * when the balance is under `lowBalanceBelow`, and "N credits expire on …" from
 * the balance's `expiringSoon` (the credits that lapse first, within the
 * customer's `expiringSoonDays`). Renders nothing when neither applies.
 *
 * @example
 * <CreditsNotice {...purse} lowBalanceBelow={100} actions={<a href="/buy">Buy credits</a>} />
 */
export function CreditsNotice({ lowBalanceBelow, actions, ...conn }: CreditsNoticeProps) {
  const { balance } = useBalance(conn);
  if (!balance) return null;
  const low = lowBalanceBelow !== undefined && balance.available < lowBalanceBelow;
  const expiring = balance.expiringSoon;
  if (!low && !expiring) return null;
  return (
    <div className="credits-notice purse-ui" data-testid="credits-notice">
      {low && (
        <div className="notice notice-warning row between wrap" role="status" data-testid="low-balance">
          <span>
            <strong>Your balance is low:</strong> {balance.available === 0 ? 'no credits left' : `${credits(balance.available)} left`}.
          </span>
          {actions}
        </div>
      )}
      {expiring && (
        <p className="notice notice-info" data-testid="expiring-soon">
          {credits(expiring.credits)} expire on {date(expiring.expiresAt)}.
        </p>
      )}
    </div>
  );
}
