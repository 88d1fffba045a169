import { BuyButton, credits, DataTable, dateTime, money, num } from '@purse/react';
import { useEffect, useState } from 'react';
import { useSearch } from 'wouter';
import { request, seg } from '../api/client';
import type { Balance, Page, Pricing, Purchase } from '../api/types';
import { useBalance } from '../components/balance';
import { ErrorNotice, Loading, Notice } from '../components/ui';
import { useAsync } from '../lib/use-async';
import { useTitle } from '../lib/use-title';

/** Buy an add-on pack: the sandbox pays at once; a real provider answers with a checkout page to go to. */
export function BuyPage() {
  useTitle('Buy credits');
  const pricing = useAsync(() => request<Pricing>('/v1/pricing'), []);
  const { balance, customerId, conn } = useBalance();
  const wanted = new URLSearchParams(useSearch()).get('pack');
  const [packId, setPackId] = useState<string | null>(wanted);
  const [result, setResult] = useState<{ purchase: Purchase; after: number | null }>();
  const [error, setError] = useState<Error>();
  const history = useAsync(
    () => (customerId ? request<Page<Purchase>>(`/v1/customers/${seg(customerId)}/purchases`, { auth: 'session', query: { limit: 10 } }) : Promise.resolve(null)),
    [customerId],
  );

  const packs = pricing.data?.packs ?? [];
  useEffect(() => {
    if (!packId && packs.length) setPackId(packs[0]!.id);
  }, [packs, packId]);
  const pack = packs.find((p) => p.id === packId);

  const onPurchased = (purchase: Purchase, after: Balance | null) => {
    setError(undefined);
    setResult({ purchase, after: after?.available ?? null });
    void history.reload();
  };

  return (
    <div className="stack-lg">
      <div>
        <h1>Buy credits</h1>
        <p className="muted">Pack credits are added to your balance as soon as the payment succeeds, and they never expire.</p>
      </div>
      <ErrorNotice error={pricing.error} />
      {pricing.loading && !pricing.data && <Loading />}
      {pricing.data && (
        <form className="card stack" onSubmit={(e) => e.preventDefault()}>
          <fieldset className="pack-options">
            <legend>Choose a pack</legend>
            {packs.map((p) => (
              <label key={p.id} className={p.id === packId ? 'pack-option selected' : 'pack-option'} data-testid={`choose-${p.id}`}>
                <input type="radio" name="pack" value={p.id} checked={p.id === packId} onChange={() => setPackId(p.id)} />
                <span className="pack-option-name">{p.name}</span>
                <span className="pack-option-price">{money(p.price)}</span>
                <span className="muted small">{money({ amount: p.price.amount / p.credits, currency: p.price.currency })} per credit</span>
              </label>
            ))}
          </fieldset>
          <div className="row between wrap">
            <p className="muted" aria-live="polite">
              {balance ? `You have ${credits(balance.available)}` : ''}
              {pack && balance ? ` · after this: ${credits(balance.available + pack.credits)}` : ''}
            </p>
            {conn && pack && (
              <BuyButton {...conn} packId={pack.id} className="btn btn-primary btn-lg" data-testid="pay" onPurchased={onPurchased} onError={setError}>
                Pay {money(pack.price)}
              </BuyButton>
            )}
          </div>
          {error && <ErrorNotice error={error} />}
          {result && (
            <Notice kind="success" testId="purchase-done">
              Paid {money(result.purchase.price)}. {credits(result.purchase.credits)} added
              {result.after !== null ? ` — your balance is now ${num(result.after)} credits` : ''}.
            </Notice>
          )}
        </form>
      )}
      <section className="card stack" aria-labelledby="purchases-heading">
        <h2 id="purchases-heading">Your purchases</h2>
        <DataTable
          caption="Your purchases"
          filename="purchases"
          rows={history.data?.data ?? []}
          rowKey={(p) => p.id}
          empty={history.loading ? 'Loading…' : 'No purchases yet.'}
          columns={[
            { header: 'When', cell: (p) => dateTime(p.createdAt), csv: (p) => p.createdAt },
            { header: 'Pack', cell: (p) => packs.find((x) => x.id === p.packId)?.name ?? p.packId },
            { header: 'Credits', numeric: true, cell: (p) => num(p.credits), csv: (p) => p.credits },
            { header: 'Price', numeric: true, cell: (p) => money(p.price) },
            { header: 'Status', cell: (p) => p.status },
          ]}
        />
      </section>
    </div>
  );
}
