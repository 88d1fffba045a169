import { BalanceBreakdown, CreditHistory, credits } from '@purse/react';
import { useEffect, useState } from 'react';
import { Link, useSearch } from 'wouter';
import { request, seg } from '../api/client';
import type { LimitsState, Purchase } from '../api/types';
import { SpendLimits } from '../components/spend-limits';
import { DemoCreditsNotice, useBalance } from '../components/balance';
import { ErrorNotice, Loading, Notice } from '../components/ui';
import { useTitle } from '../lib/use-title';

/** Back from a payment provider's checkout (?purchase=…): says whether the credits have arrived yet. */
function PurchaseReturn({ purchaseId, onPaid }: { purchaseId: string; onPaid: () => void }) {
  const [purchase, setPurchase] = useState<Purchase>();
  const [error, setError] = useState<Error>();
  useEffect(() => {
    let stop = false;
    const poll = async (tries: number) => {
      try {
        const p = await request<Purchase>(`/v1/purchases/${seg(purchaseId)}`, { auth: 'session' });
        if (stop) return;
        setPurchase(p);
        if (p.status === 'paid') onPaid();
        else if (p.status === 'pending' && tries > 0) setTimeout(() => void poll(tries - 1), 2000);
      } catch (err) {
        if (!stop) setError(err as Error);
      }
    };
    void poll(30);
    return () => void (stop = true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [purchaseId]);
  if (error) return <ErrorNotice error={error} />;
  if (!purchase) return null;
  if (purchase.status === 'paid') return <Notice kind="success">Payment received: {credits(purchase.credits)} were added to your balance.</Notice>;
  if (purchase.status === 'pending') return <Notice>Waiting for the payment to be confirmed…</Notice>;
  return <Notice kind="warning">This purchase was {purchase.status}.</Notice>;
}

/** The customer's spend limits and what is used of them (read with its own session). */
function YourLimits({ customerId }: { customerId: string }) {
  const [state, setState] = useState<LimitsState>();
  const [error, setError] = useState<Error>();
  useEffect(() => {
    let stop = false;
    request<LimitsState>(`/v1/customers/${seg(customerId)}/limits`, { auth: 'session' }).then(
      (s) => !stop && setState(s),
      (err: Error) => !stop && setError(err),
    );
    return () => void (stop = true);
  }, [customerId]);
  if (error) return <ErrorNotice error={error} />;
  if (!state) return <Loading />;
  return <SpendLimits state={state} />;
}

/** The customer's credits: Purse's balance with "Learn more", and the history behind it. */
export function CreditsPage() {
  useTitle('Your credits');
  const { conn, error, refresh } = useBalance();
  const purchaseId = new URLSearchParams(useSearch()).get('purchase');

  return (
    <div className="stack-lg">
      <h1>Your credits</h1>
      <DemoCreditsNotice />
      {purchaseId && <PurchaseReturn purchaseId={purchaseId} onPaid={() => void refresh()} />}
      {!conn && (error ? <ErrorNotice error={error} /> : <Loading />)}
      {conn && (
        <BalanceBreakdown
          {...conn}
          actions={
            <Link href="/buy" className="btn btn-primary">
              Buy credits
            </Link>
          }
        />
      )}
      {conn && (
        <section className="card stack" aria-labelledby="limits-heading">
          <h2 id="limits-heading">Spending limits</h2>
          <YourLimits customerId={conn.session.customerId} />
        </section>
      )}
      {conn && (
        <section className="card" aria-labelledby="history-heading">
          <h2 id="history-heading">History</h2>
          <CreditHistory {...conn} />
        </section>
      )}
    </div>
  );
}
