import type { DemoSession } from './types';

/** An error answer of the API: branch on `code`, show `message`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Credential = 'none' | 'session' | 'key';

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  /** Which credential to send: the demo customer's session, the operator's key, or none. */
  auth?: Credential;
}

const SESSION_KEY = 'purse.demo.session';
const API_KEY = 'purse.console.key';

/** A v4 UUID for Idempotency-Key headers, also where crypto.randomUUID is missing (plain-http hosts). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

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
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'http_error', err?.message ?? `${res.status} ${res.statusText}`, err?.details ?? {});
  }
  return json as T;
}

/** Path segments are ids that may hold `:` or `@`: always encode them. */
export const seg = encodeURIComponent;
