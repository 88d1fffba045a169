import { useEffect, useState, type FormEvent } from 'react';
import { useSearch } from 'wouter';
import { request, seg } from '../api/client';
import type { Page, Pricing, Purchase } from '../api/types';
import { useBalance } from '../components/balance';
import { DataTable } from '../components/data-table';
import { ErrorNotice, Loading, Notice } from '../components/ui';
import { credits, dateTime, money, num } from '../lib/format';
import { useAsync } from '../lib/use-async';
import { useTitle } from '../lib/use-title';

/** Buy an add-on pack: the sandbox pays at once; a real provider answers with a checkout page to go to. */
export function BuyPage() {
  useTitle('Buy credits');
  const pricing = useAsync(() => request<Pricing>('/v1/pricing'), []);
  const { balance, customerId, refresh } = useBalance();
  const wanted = new URLSearchParams(useSearch()).get('pack');
  const [packId, setPackId] = useState<string | null>(wanted);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ purchase: Purchase; before: number | null; after: number | null }>();
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

  const buy = async (e: FormEvent) => {
    e.preventDefault();
    if (!pack || !customerId || busy) return;
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    const before = balance?.available ?? null;
    try {
      const purchase = await request<Purchase>(`/v1/customers/${seg(customerId)}/purchases`, { method: 'POST', auth: 'session', body: { packId: pack.id } });
      if (purchase.checkoutUrl && purchase.status === 'pending') {
        window.location.assign(purchase.checkoutUrl);
        return;
      }
      const after = await refresh();
      setResult({ purchase, before, after: after?.available ?? null });
      void history.reload();
    } catch (err) {
      setError(err as Error);
    }
    setBusy(false);
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
        <form className="card stack" onSubmit={buy}>
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
            <button type="submit" className="btn btn-primary btn-lg" disabled={!pack || busy || !customerId} data-testid="pay">
              {busy ? 'Paying…' : pack ? `Pay ${money(pack.price)}` : 'Pay'}
            </button>
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
