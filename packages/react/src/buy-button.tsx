import { useState, type ButtonHTMLAttributes } from 'react';
import { customerPath, purseRequest, type PurseConnection } from './client';
import type { Balance, Purchase } from './types';
import { ErrorNotice } from './ui';
import { useBalance } from './use-balance';

export interface BuyButtonProps extends PurseConnection, Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'onClick' | 'onError' | 'type'> {
  packId: string;
  /** Called once the credits are there (the sandbox pays at once), with the balance after. */
  onPurchased?: (purchase: Purchase, balance: Balance | null) => void;
  /** Called when the purchase is refused; without it the button shows the error itself. */
  onError?: (error: Error) => void;
}

/**
 * Buys a pack for the session's customer. With Stripe the browser goes to
 * Checkout and comes back to PURSE_PUBLIC_URL; the sandbox pays at once and the
 * balance everywhere on the page follows. One Idempotency-Key per click.
 */
export function BuyButton({ packId, onPurchased, onError, children = 'Buy', className = 'btn btn-primary', disabled, baseUrl, session, onUnauthorized, ...button }: BuyButtonProps) {
  const conn = { baseUrl, session, onUnauthorized };
  const { refresh } = useBalance(conn);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();

  const buy = async () => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const purchase = await purseRequest<Purchase>(conn, customerPath(conn, 'purchases'), { method: 'POST', body: { packId } });
      if (purchase.checkoutUrl && purchase.status === 'pending') {
        window.location.assign(purchase.checkoutUrl);
        return;
      }
      onPurchased?.(purchase, await refresh());
    } catch (err) {
      if (onError) onError(err as Error);
      else setError(err as Error);
    }
    setBusy(false);
  };

  return (
    <>
      <button type="button" className={className} disabled={disabled || busy} aria-busy={busy} onClick={() => void buy()} {...button}>
        {busy ? 'Paying…' : children}
      </button>
      {error && <ErrorNotice error={error} />}
    </>
  );
}
