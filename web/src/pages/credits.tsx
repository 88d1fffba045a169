import { BalanceBreakdown, CreditHistory, credits, money, num } from '@purse/react';
import { useEffect, useState } from 'react';
import { Link, useSearch } from 'wouter';
import { request, seg } from '../api/client';
import type { AutoTopUp, LimitsState, Member, Pricing, Purchase } from '../api/types';
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

/**
 * For a team member's session (issue 15): what the member used of the team's
 * credits this UTC month, against its own monthly limit when it has one.
 */
function YourMemberUsage({ customerId, memberId, version }: { customerId: string; memberId: string; version: number }) {
  const [m, setM] = useState<Member>();
  const [error, setError] = useState<Error>();
  useEffect(() => {
    let stop = false;
    request<Member>(`/v1/customers/${seg(customerId)}/members/${seg(memberId)}`, { auth: 'session' }).then(
      (got) => !stop && setM(got),
      (err: Error) => !stop && setError(err),
    );
    return () => void (stop = true);
  }, [customerId, memberId, version]);
  if (error) return <ErrorNotice error={error} />;
  if (!m) return <Loading />;
  const monthly = m.limits?.monthly;
  return (
    <section className="card stack" aria-labelledby="member-heading" data-testid="member-usage">
      <h2 id="member-heading">Your usage</h2>
      <p data-testid="member-usage-line">
        {monthly === undefined ? `You used ${credits(m.used.month)} of your team's credits this month.` : `You used ${num(m.used.month)} of your ${credits(monthly)} this month.`}
      </p>
      {m.limits?.daily !== undefined && (
        <p className="muted small" data-testid="member-usage-day">
          Today: {num(m.used.day)} of {credits(m.limits.daily)}.
        </p>
      )}
    </section>
  );
}

/** The customer's auto top-up, as its session may read it: on or off, when and what it buys, this month's count. */
function AutoTopUpSummary({ customerId, version }: { customerId: string; version: number }) {
  const [a, setA] = useState<AutoTopUp>();
  const [packName, setPackName] = useState<string>();
  const [error, setError] = useState<Error>();
  useEffect(() => {
    let stop = false;
    request<AutoTopUp>(`/v1/customers/${seg(customerId)}/auto-top-up`, { auth: 'session' }).then(
      (got) => {
        if (stop) return;
        setA(got);
        if (got.packId) void request<Pricing>('/v1/pricing').then((p) => !stop && setPackName(p.packs.find((x) => x.id === got.packId)?.name), () => {});
      },
      (err: Error) => !stop && setError(err),
    );
    return () => void (stop = true);
  }, [customerId, version]);
  if (error) return <ErrorNotice error={error} />;
  if (!a) return null;
  return (
    <section className="card stack" aria-labelledby="top-up-heading" data-testid="auto-top-up">
      <h2 id="top-up-heading">Auto top-up</h2>
      {a.enabled && a.topUp && a.threshold !== null ? (
        <>
          <p data-testid="auto-top-up-summary">
            <strong>On.</strong> When your balance falls below {credits(a.threshold)}, {credits(a.topUp.credits)} ({packName ?? a.packId}
            {a.quantity && a.quantity > 1 ? ` × ${a.quantity}` : ''}) are bought for {money(a.topUp.price)}.
          </p>
          <p className="muted" data-testid="auto-top-up-month">
            This month: {a.thisMonth.purchases} {a.thisMonth.purchases === 1 ? 'top-up' : 'top-ups'}
            {a.monthlyLimit.purchases !== null ? ` of at most ${a.monthlyLimit.purchases}` : ''}.
            {a.state.pendingPurchaseId ? ' A top-up is being paid.' : ''}
          </p>
        </>
      ) : (
        <p data-testid="auto-top-up-summary">
          <strong>Off.</strong> {a.reason && a.threshold !== null ? `(${a.reason})` : 'Buy credits when you need them.'}
        </p>
      )}
    </section>
  );
}

/** The customer's credits: Purse's balance with "Learn more", and the history behind it. */
export function CreditsPage() {
  useTitle('Your credits');
  const { conn, error, refresh, balance } = useBalance();
  // The available balance changing is when a top-up may have started or been paid: read it again then.
  const version = balance?.available ?? -1;
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
      {conn && conn.session.memberId && <YourMemberUsage customerId={conn.session.customerId} memberId={conn.session.memberId} version={version} />}
      {conn && <AutoTopUpSummary customerId={conn.session.customerId} version={version} />}
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
