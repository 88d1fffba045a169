import { ApiError, newIdempotencyKey, readAnswer } from '@purse/react';
import type { DemoSession } from './types';

export { ApiError, newIdempotencyKey };

type Credential = 'none' | 'session' | 'key';

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  /** Which credential to send: the demo customer's session, the operator's key, or none. */
  auth?: Credential;
}

const SESSION_KEY = 'purse.demo.session';
const API_KEY = 'purse.console.key';

/** The operator's secret key, kept for this browser tab only. */
export const apiKey = {
  get: (): string | null => sessionStorage.getItem(API_KEY),
  set: (key: string) => sessionStorage.setItem(API_KEY, key),
  clear: () => sessionStorage.removeItem(API_KEY),
};

let sessionPromise: Promise<DemoSession> | null = null;

/** The demo customer's session: kept in localStorage, minted again when missing or refused. */
export function demoSession(fresh = false): Promise<DemoSession> {
  if (!fresh) {
    const stored = readSession();
    if (stored) return Promise.resolve(stored);
  }
  sessionPromise ??= request<DemoSession>('/demo/session', { method: 'POST', auth: 'none' })
    .then((s) => {
      localStorage.setItem(SESSION_KEY, JSON.stringify(s));
      return s;
    })
    .finally(() => {
      sessionPromise = null;
    });
  return sessionPromise;
}

function readSession(): DemoSession | null {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null') as DemoSession | null;
    return s && typeof s.token === 'string' ? s : null;
  } catch {
    return null;
  }
}

/**
 * Calls the API at this origin. Writes carry a fresh Idempotency-Key; a session
 * the server refuses (expired, or the server restarted) is minted again once.
 */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const auth = opts.auth ?? 'none';
  const url = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['idempotency-key'] = newIdempotencyKey();

  const send = async (fresh: boolean): Promise<Response> => {
    if (auth === 'session') headers.authorization = `Bearer ${(await demoSession(fresh)).token}`;
    if (auth === 'key') headers.authorization = `Bearer ${apiKey.get() ?? ''}`;
    return fetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  };

  let res = await send(false);
  if (res.status === 401 && auth === 'session') res = await send(true);
  return readAnswer<T>(res);
}

/** Path segments are ids that may hold `:` or `@`: always encode them. */
export const seg = encodeURIComponent;
