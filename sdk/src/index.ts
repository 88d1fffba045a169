import type { Balance, Customer, Generation, Grant, LedgerEntry, Page, Purchase, Tool } from './types.js';

export type * from './types.js';

/**
 * An error answer from Purse. Branch on `code` (a closed set: insufficient_credits,
 * generation_settled, idempotency_conflict, not_found, invalid_request, …).
 */
export class PurseError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | undefined,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'PurseError';
  }
}

export interface PurseOptions {
  /** Where Purse listens, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** A secret API key (`sk_…`) or a customer session token (`cs_…`). */
  apiKey: string;
  /** Per-request time limit; default 10 s. */
  timeoutMs?: number;
  /** How often a safe request is retried after a network error, 429 or 5xx; default 2. */
  retries?: number;
  fetch?: typeof fetch;
}

export interface GenerateOptions {
  units?: number;
  /** The generation's id (its idempotency key); one is made when not given. */
  id?: string;
  metadata?: Record<string, string | number | boolean | null>;
  /** How long each extension keeps the credits held; default 300 s. */
  holdSeconds?: number;
  /** How often the hold is extended while the job runs; default a third of holdSeconds. */
  extendEverySeconds?: number;
}

/** What a job may return: fewer units than reserved are charged if it says so. */
export interface JobResult<T> {
  value: T;
  units?: number;
}

type Json = Record<string, unknown>;

/**
 * A small client for Purse's HTTP API.
 *
 * @example
 * const purse = new Purse({ baseUrl: 'http://127.0.0.1:3000', apiKey: process.env.PURSE_KEY! });
 * const { result } = await purse.generate('u_42', 'text-to-image', async () => render(prompt), { units: 2 });
 */
export class Purse {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(private readonly options: PurseOptions) {
    this.baseUrl = options.baseUrl.replace(/\/$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 2;
  }

  // Catalog and customers

  putTool(id: string, tool: { name: string; credits: number; unit?: string; description?: string; holdSeconds?: number; active?: boolean }): Promise<Tool> {
    return this.request('PUT', `/v1/tools/${enc(id)}`, tool, { safe: true });
  }
  getTool(id: string): Promise<Tool> {
    return this.request('GET', `/v1/tools/${enc(id)}`);
  }
  async listTools(): Promise<Tool[]> {
    return (await this.request<{ data: Tool[] }>('GET', '/v1/tools')).data;
  }
  putCustomer(id: string, customer: { name?: string | null; email?: string | null; metadata?: Json | null } = {}): Promise<Customer> {
    return this.request('PUT', `/v1/customers/${enc(id)}`, customer, { safe: true });
  }
  getCustomer(id: string): Promise<Customer> {
    return this.request('GET', `/v1/customers/${enc(id)}`);
  }
  /** A customer session for a front end: it may read this customer's credits and buy packs. */
  createSession(customerId: string, ttlSeconds?: number): Promise<{ token: string; customerId: string; expiresAt: string }> {
    return this.request('POST', `/v1/customers/${enc(customerId)}/sessions`, ttlSeconds === undefined ? {} : { ttlSeconds }, { safe: true });
  }

  // Credits

  balance(customerId: string): Promise<Balance> {
    return this.request('GET', `/v1/customers/${enc(customerId)}/balance`);
  }
  ledger(customerId: string, page: { cursor?: string; limit?: number } = {}): Promise<Page<LedgerEntry>> {
    return this.request('GET', `/v1/customers/${enc(customerId)}/ledger${query(page)}`);
  }
  /** Every ledger entry, newest first, fetched page by page. */
  async *ledgerEntries(customerId: string, limit = 100): AsyncGenerator<LedgerEntry> {
    for (let cursor: string | undefined; ; ) {
      const page = await this.ledger(customerId, { limit, ...(cursor ? { cursor } : {}) });
      yield* page.data;
      if (!page.nextCursor) return;
      cursor = page.nextCursor;
    }
  }
  /** An operator grant; safe to retry (an idempotency key is made when not given). */
  grant(
    customerId: string,
    grant: { amount: number; source: 'bonus' | 'adjustment'; reason: string; expiresAt?: string; priority?: number },
    idempotencyKey: string = crypto.randomUUID(),
  ): Promise<Grant> {
    return this.request('POST', `/v1/customers/${enc(customerId)}/grants`, grant, { safe: true, idempotencyKey });
  }
  voidGrant(grantId: string, reason: string): Promise<Grant> {
    return this.request('POST', `/v1/grants/${enc(grantId)}/void`, { reason }, { safe: true });
  }
  buyPack(customerId: string, packId: string, idempotencyKey: string = crypto.randomUUID()): Promise<Purchase> {
    return this.request('POST', `/v1/customers/${enc(customerId)}/purchases`, { packId }, { safe: true, idempotencyKey });
  }

  // Generations

  /** Reserves the cost of a generation; the id (made when not given) makes retries safe. */
  reserve(input: { customerId: string; toolId: string; units?: number; id?: string; metadata?: Json }): Promise<Generation> {
    return this.request('POST', '/v1/generations', { id: input.id ?? crypto.randomUUID(), ...input }, { safe: true });
  }
  complete(id: string, units?: number): Promise<Generation> {
    return this.request('POST', `/v1/generations/${enc(id)}/complete`, units === undefined ? {} : { units }, { safe: true });
  }
  fail(id: string, reason?: string): Promise<Generation> {
    return this.request('POST', `/v1/generations/${enc(id)}/fail`, reason === undefined ? {} : { reason }, { safe: true });
  }
  extend(id: string, holdSeconds: number): Promise<Generation> {
    return this.request('POST', `/v1/generations/${enc(id)}/extend`, { holdSeconds }, { safe: true });
  }
  refund(id: string, input: { reason: string; amount?: number }, idempotencyKey: string = crypto.randomUUID()): Promise<Generation> {
    return this.request('POST', `/v1/generations/${enc(id)}/refund`, input, { safe: true, idempotencyKey });
  }
  getGeneration(id: string): Promise<Generation> {
    return this.request('GET', `/v1/generations/${enc(id)}`);
  }
  listGenerations(customerId: string, page: { cursor?: string; limit?: number } = {}): Promise<Page<Generation>> {
    return this.request('GET', `/v1/customers/${enc(customerId)}/generations${query(page)}`);
  }

  /**
   * Runs a job as one generation: reserves its credits (refused with
   * `insufficient_credits` before the job starts), keeps extending the hold while
   * it runs, completes on success — for fewer units if the job returns
   * `{ value, units }` — and on a throw fails the generation, giving every credit
   * back, and rethrows the job's own error.
   */
  async generate<T>(
    customerId: string,
    toolId: string,
    job: (ctx: { generation: Generation; signal: AbortSignal }) => Promise<T | JobResult<T>>,
    opts: GenerateOptions = {},
  ): Promise<{ generation: Generation; result: T }> {
    const generation = await this.reserve({ customerId, toolId, ...(opts.units ? { units: opts.units } : {}), ...(opts.id ? { id: opts.id } : {}), ...(opts.metadata ? { metadata: opts.metadata } : {}) });
    const holdSeconds = opts.holdSeconds ?? 300;
    const every = (opts.extendEverySeconds ?? holdSeconds / 3) * 1000;
    const controller = new AbortController();
    let extending = Promise.resolve();
    const timer = setInterval(() => {
      extending = extending.then(() => this.extend(generation.id, holdSeconds).then(() => undefined, () => undefined));
    }, every);
    let output: T | JobResult<T>;
    try {
      output = await job({ generation, signal: controller.signal });
    } catch (err) {
      clearInterval(timer);
      controller.abort();
      await extending;
      const reason = (err instanceof Error ? err.message : String(err)).slice(0, 500) || 'the job failed';
      await this.fail(generation.id, reason).catch(() => undefined);
      throw err;
    }
    clearInterval(timer);
    await extending;
    const wrapped = isJobResult<T>(output) ? output : { value: output as T };
    const completed = await this.complete(generation.id, wrapped.units);
    return { generation: completed, result: wrapped.value };
  }

  /** Sends one request; retries it on network errors, 429 and 5xx when it is safe to. */
  private async request<T>(method: string, path: string, body?: unknown, opts: { safe?: boolean; idempotencyKey?: string } = {}): Promise<T> {
    const safe = method === 'GET' || opts.safe === true;
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.apiKey}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetch(`${this.baseUrl}${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        if (safe && attempt < this.retries) {
          await sleep(backoff(attempt));
          continue;
        }
        throw err;
      }
      if ((res.status === 429 || res.status >= 500) && safe && attempt < this.retries) {
        await sleep(backoff(attempt));
        continue;
      }
      const text = await res.text();
      const parsed = text ? (JSON.parse(text) as unknown) : undefined;
      if (!res.ok) {
        const e = (parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> }; requestId?: string } | undefined) ?? {};
        throw new PurseError(res.status, e.error?.code ?? 'internal_error', e.error?.message ?? `HTTP ${res.status}`, e.error?.details, e.requestId);
      }
      return parsed as T;
    }
  }
}

function isJobResult<T>(v: unknown): v is JobResult<T> {
  return typeof v === 'object' && v !== null && 'value' in v && Object.keys(v).every((k) => k === 'value' || k === 'units');
}

const enc = encodeURIComponent;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backoff = (attempt: number) => 100 * 2 ** attempt + Math.random() * 100;

function query(page: { cursor?: string; limit?: number }): string {
  const q = new URLSearchParams();
  if (page.cursor) q.set('cursor', page.cursor);
  if (page.limit) q.set('limit', String(page.limit));
  const s = q.toString();
  return s ? `?${s}` : '';
}
