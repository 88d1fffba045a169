import { useCallback, useSyncExternalStore } from 'react';
import { customerPath, purseRequest, type PurseConnection } from './client';
import type { Balance } from './types';

/** How often a shown balance is read again while the page is visible. */
export const BALANCE_POLL_MS = 4000;
/** Balances kept for sessions no component shows any more; the oldest idle one is dropped first. */
const MAX_IDLE_FEEDS = 8;

export interface BalanceState {
  balance: Balance | null;
  error: Error | null;
}

/** One customer's balance, read once and polled for every component that shows it. */
class BalanceFeed {
  state: BalanceState = { balance: null, error: null };
  private listeners = new Set<() => void>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private seq = 0;
  constructor(public conn: PurseConnection) {}

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  };

  getSnapshot = () => this.state;

  refresh = async (): Promise<Balance | null> => {
    const mine = ++this.seq;
    try {
      const balance = await purseRequest<Balance>(this.conn, customerPath(this.conn, 'balance'));
      if (mine === this.seq) this.set({ balance, error: null });
      return balance;
    } catch (err) {
      if (mine === this.seq) this.set({ balance: this.state.balance, error: err as Error });
      return null;
    }
  };

  get idle() {
    return this.listeners.size === 0;
  }

  private set(state: BalanceState) {
    this.state = state;
    for (const l of this.listeners) l();
  }

  private onFocus = () => void this.refresh();

  private start() {
    void this.refresh();
    this.timer = setInterval(() => {
      if (document.visibilityState === 'visible') void this.refresh();
    }, BALANCE_POLL_MS);
    window.addEventListener('focus', this.onFocus);
  }

  private stop() {
    clearInterval(this.timer);
    window.removeEventListener('focus', this.onFocus);
  }
}

const feeds = new Map<string, BalanceFeed>();

function feedFor(conn: PurseConnection): BalanceFeed {
  const key = `${conn.baseUrl}\n${conn.session.token}`;
  let feed = feeds.get(key);
  if (!feed) {
    const idle = [...feeds].filter(([, f]) => f.idle);
    for (const [k] of idle.slice(0, Math.max(0, idle.length - MAX_IDLE_FEEDS + 1))) feeds.delete(k);
    feed = new BalanceFeed(conn);
    feeds.set(key, feed);
  }
  feed.conn = conn;
  return feed;
}

const NO_FEED = {
  subscribe: () => () => {},
  getSnapshot: (): BalanceState => EMPTY,
  refresh: async () => null,
};
const EMPTY: BalanceState = { balance: null, error: null };

/**
 * The customer's balance, shared by every component on the page and polled
 * while it is visible. Call `refresh()` after anything that moves credits (a
 * generation your backend ran), and every badge and breakdown follows.
 */
export function useBalance(conn: PurseConnection | null): BalanceState & { refresh: () => Promise<Balance | null> } {
  const feed = conn ? feedFor(conn) : NO_FEED;
  const state = useSyncExternalStore(feed.subscribe, feed.getSnapshot, feed.getSnapshot);
  const refresh = useCallback(() => feed.refresh(), [feed]);
  return { ...state, refresh };
}
