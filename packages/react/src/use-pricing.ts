import { useEffect, useState } from 'react';
import { apiUrl, readAnswer } from './client';
import type { Pricing } from './types';

/** Pricing changes rarely: one read per Purse per page load, shared by every component. */
const cache = new Map<string, Promise<Pricing>>();

/** `GET /v1/pricing` (public): plans, packs and tools with their costs. */
export function usePricing(baseUrl: string): { pricing: Pricing | null; error: Error | null } {
  const [state, setState] = useState<{ pricing: Pricing | null; error: Error | null }>({ pricing: null, error: null });
  useEffect(() => {
    let live = true;
    let pending = cache.get(baseUrl);
    if (!pending) {
      pending = fetch(apiUrl(baseUrl, '/v1/pricing'), { headers: { accept: 'application/json' } }).then((res) => readAnswer<Pricing>(res));
      pending.catch(() => cache.delete(baseUrl));
      cache.set(baseUrl, pending);
    }
    pending.then(
      (pricing) => live && setState({ pricing, error: null }),
      (error: Error) => live && setState({ pricing: null, error }),
    );
    return () => void (live = false);
  }, [baseUrl]);
  return state;
}
