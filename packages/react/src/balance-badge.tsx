import type { MouseEvent } from 'react';
import type { PurseConnection } from './client';
import { num } from './format';
import { UserIcon } from './ui';
import { useBalance } from './use-balance';

export interface BalanceBadgeProps extends PurseConnection {
  /** Where the badge leads, e.g. your credits page; without it the badge is not a link. */
  href?: string;
  /** For client-side routers: call `event.preventDefault()` and navigate. */
  onClick?: (event: MouseEvent<HTMLAnchorElement>) => void;
}

/** The header's profile icon with the balance beside it; it follows every change (polled, and on `refresh`). */
export function BalanceBadge({ href, onClick, ...conn }: BalanceBadgeProps) {
  const { balance, error } = useBalance(conn);
  const text = balance ? num(balance.available) : error ? '—' : '…';
  const label = balance ? `Your balance: ${num(balance.available)} credits${balance.reserved ? `, ${num(balance.reserved)} held` : ''}` : 'Your balance';
  const inner = (
    <>
      <UserIcon />
      <span className="balance-amount" data-testid="header-balance" aria-live="polite">
        {text}
      </span>
      <span className="balance-unit">credits</span>
    </>
  );
  return href ? (
    <a href={href} onClick={onClick} className="balance-badge purse-ui" aria-label={`${label}. View credits`} title="Your credits">
      {inner}
    </a>
  ) : (
    <span className="balance-badge purse-ui" role="status" aria-label={label}>
      {inner}
    </span>
  );
}
