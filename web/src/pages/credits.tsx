import { useEffect, useId, useState } from 'react';
import { Link, useSearch } from 'wouter';
import { request, seg } from '../api/client';
import type { Pricing, Purchase } from '../api/types';
import { useBalance } from '../components/balance';
import { Breakdown } from '../components/breakdown';
import { LedgerTable } from '../components/ledger-table';
import { ErrorNotice, Loading, Notice } from '../components/ui';
import { credits, num } from '../lib/format';
import { useAsync } from '../lib/use-async';
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

/** The customer's credits: the balance, where it comes from, and the history behind it. */
export function CreditsPage() {
  useTitle('Your credits');
  const { balance, customerId, refresh, error } = useBalance();
  const pricing = useAsync(() => request<Pricing>('/v1/pricing'), []);
  const [open, setOpen] = useState(false);
  const [version, setVersion] = useState(0);
  const purchaseId = new URLSearchParams(useSearch()).get('purchase');
  const panel = useId();

  // The history follows the balance: when the balance moves, read the ledger again.
  const stamp = balance ? `${balance.available}/${balance.reserved}/${balance.asOf}` : '';
  useEffect(() => {
    if (stamp) setVersion((v) => v + 1);
  }, [stamp.split('/').slice(0, 2).join('/')]); // eslint-disable-line react-hooks/exhaustive-deps

  const toolName = (id: string) => pricing.data?.tools.find((t) => t.id === id)?.name ?? id;
  const planName = balance?.subscription ? pricing.data?.plans.find((p) => p.id === balance.subscription!.planId)?.name : undefined;

  return (
    <div className="stack-lg">
      <h1>Your credits</h1>
      {purchaseId && <PurchaseReturn purchaseId={purchaseId} onPaid={() => void refresh()} />}
      {error && !balance && <ErrorNotice error={error} />}
      {!balance && !error && <Loading />}
      {balance && (
        <section className="card balance-card" aria-labelledby="balance-heading">
          <div className="balance-top">
            <div>
              <h2 id="balance-heading" className="eyebrow">
                Available balance
              </h2>
              <p className="big-number" data-testid="credits-balance">
                {num(balance.available)} <span>credits</span>
              </p>
              {balance.reserved > 0 && <p className="muted">{credits(balance.reserved)} held by running generations</p>}
            </div>
            <div className="row wrap">
              <Link href="/buy" className="btn btn-primary">
                Buy credits
              </Link>
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
      )}
      {customerId && (
        <section className="card" aria-labelledby="history-heading">
          <h2 id="history-heading">History</h2>
          <LedgerTable customerId={customerId} auth="session" toolName={toolName} version={version} />
        </section>
      )}
    </div>
  );
}
