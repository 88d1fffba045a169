import { CreditsNotice, useBalance as useBalanceOf, type PurseConnection } from '@purse/react';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Link } from 'wouter';
import { demoSession } from '../api/client';
import type { DemoSession } from '../api/types';

const Ctx = createContext<PurseConnection | null>(null);

/** The shortest time between two fresh demo sessions. */
const MINT_AGAIN_MS = 5000;

/**
 * The demo studio's stand-in for an app's backend: it gets the demo customer's
 * session (`POST /demo/session`) and hands it, with this origin as Purse's base
 * URL, to Purse's components; a session Purse refuses is minted again.
 */
export function BalanceProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<DemoSession | null>(null);
  const [failed, setFailed] = useState<Error | null>(null);
  const lastFresh = useRef(0);
  const mint = useCallback((fresh: boolean) => {
    // A refused session is minted again, at most once per MINT_AGAIN_MS: a server that keeps refusing is not flooded.
    if (fresh && Date.now() - lastFresh.current < MINT_AGAIN_MS) return;
    if (fresh) lastFresh.current = Date.now();
    demoSession(fresh).then(
      (s) => {
        setSession((old) => (old?.token === s.token ? old : s));
        setFailed(null);
      },
      (err: Error) => setFailed(err),
    );
  }, []);
  useEffect(() => mint(false), [mint]);
  const conn = useMemo(() => (session ? { baseUrl: window.location.origin, session, onUnauthorized: () => mint(true) } : null), [session, mint]);
  return (
    <Ctx.Provider value={conn}>
      {failed && !conn ? <p className="container notice notice-error" role="alert">{failed.message}</p> : null}
      {children}
    </Ctx.Provider>
  );
}

/** The demo customer's connection for Purse's components; null until the session is there. */
export const usePurse = () => useContext(Ctx);

/** The demo customer's balance, shared with every Purse component on the page. */
export function useBalance() {
  const conn = usePurse();
  const state = useBalanceOf(conn);
  return { ...state, customerId: conn?.session.customerId ?? null, conn };
}

/**
 * The demo customer's lowest low-balance threshold. `src/demo.ts` sets the
 * same alert on the demo customer; a customer session cannot read alerts, so
 * the page is told it, as an app would pass its own.
 */
export const DEMO_LOW_BALANCE = 100;

/** Purse's CreditsNotice for the demo customer: low balance (with a way to buy), and credits that expire soon. */
export function DemoCreditsNotice() {
  const conn = usePurse();
  if (!conn) return null;
  return (
    <CreditsNotice
      {...conn}
      lowBalanceBelow={DEMO_LOW_BALANCE}
      actions={
        <Link href="/buy" className="btn btn-secondary btn-sm">
          Buy a pack
        </Link>
      }
    />
  );
}
