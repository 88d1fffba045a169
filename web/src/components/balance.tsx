import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { demoSession, request, seg } from '../api/client';
import type { Balance } from '../api/types';

interface BalanceState {
  customerId: string | null;
  balance: Balance | null;
  error: Error | null;
  /** Reads the balance again now; call after every action that moves credits. */
  refresh: () => Promise<Balance | null>;
}

const Ctx = createContext<BalanceState>({ customerId: null, balance: null, error: null, refresh: async () => null });

/** How often the header's balance is read while the page is visible. */
export const BALANCE_POLL_MS = 4000;

/** The demo customer's balance, shared by the header and every page; polled while the tab is visible. */
export function BalanceProvider({ children }: { children: ReactNode }) {
  const [customerId, setCustomerId] = useState<string | null>(null);
  const [balance, setBalance] = useState<Balance | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const seq = useRef(0);

  const refresh = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const session = await demoSession();
      const b = await request<Balance>(`/v1/customers/${seg(session.customerId)}/balance`, { auth: 'session' });
      if (mine === seq.current) {
        setCustomerId(b.customerId);
        setBalance(b);
        setError(null);
      }
      return b;
    } catch (err) {
      if (mine === seq.current) setError(err as Error);
      return null;
    }
  }, []);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh();
    }, BALANCE_POLL_MS);
    const onFocus = () => void refresh();
    window.addEventListener('focus', onFocus);
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', onFocus);
    };
  }, [refresh]);

  return <Ctx.Provider value={{ customerId, balance, error, refresh }}>{children}</Ctx.Provider>;
}

export const useBalance = () => useContext(Ctx);
