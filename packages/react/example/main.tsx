/**
 * An app on its own origin showing a customer's credits with Purse's
 * components. Its backend (here `POST /session`) mints a customer session with
 * the secret key — `POST /v1/customers/{id}/sessions` — and the page talks to
 * Purse directly with it; Purse must list this origin in PURSE_CORS_ORIGINS.
 */
import { BalanceBadge, BalanceBreakdown, BuyButton, CreditHistory, CreditsNotice, PricingTable, type CustomerSession } from '@purse/react';
import '@purse/react/styles.css';
import { useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';

interface Backend {
  purseUrl: string;
  session: CustomerSession;
}

/** Asks the app's own backend for a session of the signed-in user. */
async function mintSession(): Promise<Backend> {
  const res = await fetch('/session', { method: 'POST' });
  if (!res.ok) throw new Error(`the app's backend answered ${res.status}`);
  return res.json() as Promise<Backend>;
}

function App() {
  const [backend, setBackend] = useState<Backend>();
  const [bought, setBought] = useState<string>();
  const renew = useCallback(() => void mintSession().then(setBackend), []);
  useEffect(renew, [renew]);
  if (!backend) return <p>Signing in…</p>;

  const purse = { baseUrl: backend.purseUrl, session: backend.session, onUnauthorized: renew };
  return (
    <div style={{ maxWidth: 960, margin: '0 auto', padding: 16, display: 'flex', flexDirection: 'column', gap: 20 }}>
      <header style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: 12, flexWrap: 'wrap' }}>
        <strong>Example app</strong>
        <BalanceBadge {...purse} />
      </header>
      <CreditsNotice {...purse} lowBalanceBelow={100} />
      <BalanceBreakdown
        {...purse}
        actions={
          <BuyButton {...purse} packId="pack-100" data-testid="buy-pack-100" onPurchased={(p, b) => setBought(`${p.credits} credits added; balance ${b?.available ?? '?'}`)}>
            Buy 100 credits
          </BuyButton>
        }
      />
      {bought && (
        <p className="purse-ui notice notice-success" role="status" data-testid="bought">
          {bought}
        </p>
      )}
      <section className="purse-ui card">
        <h2>History</h2>
        <CreditHistory {...purse} />
      </section>
      <PricingTable {...purse} />
    </div>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
