/** What the app's backend got from `POST /v1/customers/{id}/sessions`: a token for one customer. */
export interface CustomerSession {
  token: string;
  customerId: string;
  /** For a team: the member the session is for; absent or null for the whole customer. */
  memberId?: string | null;
  expiresAt?: string;
}

/**
 * What every component takes: where Purse is, and the customer session the
 * app's backend minted. `onUnauthorized` is called when Purse refuses the
 * session (expired, or signed with another secret): mint a new one and pass it.
 */
export interface PurseConnection {
  /** Purse's base URL, e.g. `https://purse.example.com` (its origin must list yours in PURSE_CORS_ORIGINS). */
  baseUrl: string;
  session: CustomerSession;
  onUnauthorized?: () => void;
}

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

/** A v4 UUID for Idempotency-Key headers, also where crypto.randomUUID is missing (plain-http hosts). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Reads an answer: its JSON, or an ApiError carrying the contract's `code`. */
export async function readAnswer<T>(res: Response): Promise<T> {
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON (a proxy's error page): the status says enough
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'http_error', err?.message ?? `${res.status} ${res.statusText}`, err?.details ?? {});
  }
  return json as T;
}

/**
 * Calls Purse with the customer session. Writes carry a fresh Idempotency-Key,
 * so a retried click never buys twice. A refused session calls `onUnauthorized`.
 */
export async function purseRequest<T>(conn: PurseConnection, path: string, opts: { method?: 'GET' | 'POST'; body?: unknown; query?: Record<string, string | number | undefined> } = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const url = apiUrl(conn.baseUrl, path);
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${conn.session.token}` };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['idempotency-key'] = newIdempotencyKey();
  const res = await fetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  if (res.status === 401) conn.onUnauthorized?.();
  return readAnswer<T>(res);
}

/** `path` under Purse's base URL, which may itself have a path (`https://example.com/purse`). */
export function apiUrl(baseUrl: string, path: string): URL {
  return new URL(path.replace(/^\//, ''), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
}

/** The path of a customer's own resource; ids may hold `:` or `@`, so they are encoded. */
export const customerPath = (conn: PurseConnection, rest: string) => `/v1/customers/${encodeURIComponent(conn.session.customerId)}/${rest}`;
