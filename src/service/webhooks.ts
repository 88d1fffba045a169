import { createHmac, randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Pool } from 'undici';
import { RETRY_WINDOW_MS, retryDelayMs, type EventType, type PurseEvent, type WebhookAttempt, type WebhookDelivery, type WebhookEndpoint } from '../domain/events.js';
import { decodeAttemptCursor, encodeAttemptCursor } from '../store/cursor.js';
import { newDelivery } from '../store/webhook-queries.js';
import { MAX_EVENTS_MARKED, type AttemptResult, type Store } from '../store/store.js';
import type { ServiceContext } from './context.js';
import { errors } from './errors.js';
import { getEvent } from './events.js';
import { newId } from './ids.js';
import { readPage } from './paging.js';

/** How many endpoints Purse keeps at most. */
export const MAX_ENDPOINTS = 50;

export interface EndpointInput {
  url: string;
  events?: EventType[] | null;
  description?: string | null;
  status?: 'enabled' | 'disabled';
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw errors.invalid('url', 'must be an absolute http or https URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw errors.invalid('url', 'must be an http or https URL');
}

/** Registers a receiver; its signing secret is returned here and never again. */
export async function createEndpoint(ctx: ServiceContext, input: EndpointInput): Promise<WebhookEndpoint> {
  checkUrl(input.url);
  if ((await ctx.store.listWebhookEndpoints()).length >= MAX_ENDPOINTS) throw errors.tooManyEndpoints(MAX_ENDPOINTS);
  const now = Date.now();
  const endpoint: WebhookEndpoint = {
    id: newId('we'),
    url: input.url,
    events: input.events ? [...new Set(input.events)] : null,
    description: input.description ?? null,
    secret: `whsec_${randomBytes(24).toString('base64')}`,
    status: 'enabled',
    disabledReason: null,
    consecutiveFailures: 0,
    failingSince: null,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.store.putWebhookEndpoint(endpoint);
  return endpoint;
}

export async function getEndpoint(ctx: ServiceContext, id: string): Promise<WebhookEndpoint> {
  const endpoint = await ctx.store.getWebhookEndpoint(id);
  if (!endpoint) throw errors.notFound('webhook endpoint', id);
  return endpoint;
}

/** Changes an endpoint; enabling one starts its count of failures afresh. */
export async function updateEndpoint(ctx: ServiceContext, id: string, input: Partial<EndpointInput>): Promise<WebhookEndpoint> {
  const endpoint = await getEndpoint(ctx, id);
  if (input.url !== undefined) checkUrl(input.url);
  const enabling = input.status === 'enabled' && endpoint.status === 'disabled';
  const next: WebhookEndpoint = {
    ...endpoint,
    ...(input.url !== undefined ? { url: input.url } : {}),
    ...(input.events !== undefined ? { events: input.events ? [...new Set(input.events)] : null } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.status !== undefined ? { status: input.status, disabledReason: input.status === 'disabled' ? 'disabled by an operator' : null } : {}),
    ...(enabling ? { consecutiveFailures: 0, failingSince: null } : {}),
    updatedAt: Date.now(),
  };
  await ctx.store.putWebhookEndpoint(next);
  return next;
}

export async function deleteEndpoint(ctx: ServiceContext, id: string): Promise<void> {
  if (!(await ctx.store.deleteWebhookEndpoint(id))) throw errors.notFound('webhook endpoint', id);
}

export async function listAttempts(ctx: ServiceContext, endpointId: string, page: { cursor?: string; limit: number }) {
  await getEndpoint(ctx, endpointId);
  return readPage(page, decodeAttemptCursor, (p) => ctx.store.listWebhookAttempts(endpointId, p), encodeAttemptCursor);
}

/** Sends an event again: to one endpoint, or to every enabled endpoint that takes its type. */
export async function redeliver(ctx: ServiceContext, eventId: string, endpointId?: string): Promise<WebhookDelivery[]> {
  const event = await getEvent(ctx, eventId);
  const endpoints = endpointId ? [await getEndpoint(ctx, endpointId)] : (await ctx.store.listWebhookEndpoints()).filter((e) => e.status === 'enabled' && (e.events === null || e.events.includes(event.type)));
  const now = Date.now();
  const deliveries = endpoints.map((e) => newDelivery(e.id, event.id, event.customerId, now, newId('whd')));
  await ctx.store.enqueueDeliveries(deliveries);
  return deliveries;
}

/** A delivery's request as it will be sent. */
interface Prepared {
  delivery: WebhookDelivery;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

export interface DeliveryOptions {
  /** Renders an event as the API shows it: the body the receiver gets. */
  render: (event: PurseEvent) => unknown;
  /** The wait before the first retry; later ones double (PURSE_WEBHOOK_RETRY_BASE_MS). */
  retryBaseMs?: number;
  /** Failures in a row after which an endpoint is disabled (PURSE_WEBHOOK_MAX_FAILURES). */
  maxFailures?: number;
  /** How often the worker looks for work when idle. */
  pollMs?: number;
  /** How long a receiver may take to answer; at most half the lease. */
  timeoutMs?: number;
  /**
   * How long a worker holds a delivery it took (PURSE_WEBHOOK_LEASE_MS): after
   * a crash, the deliveries the dead process held are sent again this much later.
   */
  leaseMs?: number;
  onError?: (err: unknown) => void;
}

/** How soon a worker that found work looks again (the idle poll is PURSE_WEBHOOK_POLL_MS). */
const BUSY_POLL_MS = 25;
/** The most deliveries one worker sends at once: a turn's batch, recorded in one commit. */
const MAX_CONCURRENT_SENDS = 64;
/** How long a worker holds a delivery it took, unless told otherwise: longer than a send may last. */
const LEASE_MS = 60_000;

/**
 * Kept-alive connections to receivers: one undici pool per receiver's origin,
 * with as many connections as one batch sends at once. Measured per request
 * against a local receiver (the note of this change): Node's `http.request`
 * 175–220 µs of CPU, undici's `request` through an agent with an
 * `AbortSignal.timeout` 160–220 µs, an undici pool with its own timeouts 70–80 µs.
 * The worker shares the machine with the API, so the pool it is.
 */
const POOLS = new Map<string, Pool>();

/** Receivers' URLs parsed once, not once a send (a worker sends to at most MAX_ENDPOINTS; an edited URL adds one). */
const URLS = new Map<string, URL>();

function parsedUrl(url: string): URL {
  let parsed = URLS.get(url);
  if (!parsed) {
    if (URLS.size >= 4 * MAX_ENDPOINTS) URLS.clear();
    URLS.set(url, (parsed = new URL(url)));
  }
  return parsed;
}

function poolFor(origin: string): Pool {
  let pool = POOLS.get(origin);
  if (!pool) POOLS.set(origin, (pool = new Pool(origin, { connections: MAX_CONCURRENT_SENDS, keepAliveTimeout: 30_000 })));
  return pool;
}

/**
 * POSTs `body` to `url` and resolves with the answer's status once its body has
 * been drained (unread); rejects on a network error, or when the exchange takes
 * longer than `timeoutMs`: `deadline`, one timer for a whole batch sent together,
 * ends whatever is still going when it runs out. Redirects are not followed.
 */
async function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, deadline: AbortSignal): Promise<number> {
  try {
    // undici's own timers (coarse: they may fire up to half a second off) only back the deadline up.
    const res = await poolFor(url.origin).request({ path: url.pathname + url.search, method: 'POST', headers, body, signal: deadline, headersTimeout: 2 * timeoutMs, bodyTimeout: 2 * timeoutMs });
    await res.body.dump();
    return res.statusCode;
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw deadline.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ? new Error(`no answer within ${timeoutMs} ms`) : err;
  }
}

/**
 * Aborts `controller` once `ms` have passed by the clock, not by the event
 * loop's: a timer counts from the loop's time, taken before whatever ran
 * synchronously since (rendering and signing a batch, on a loaded machine tens
 * of milliseconds), so it can end early; one that does is set again for what is
 * left. Returns what cancels it.
 */
function abortAfter(controller: AbortController, ms: number): () => void {
  const started = performance.now();
  let timer: NodeJS.Timeout;
  const arm = (wait: number) => {
    timer = setTimeout(() => {
      const left = ms - (performance.now() - started);
      if (left > 0) arm(left);
      else controller.abort();
    }, wait);
  };
  arm(ms);
  return () => clearTimeout(timer);
}

/**
 * The Standard Webhooks signature: `v1,` and the base64 HMAC-SHA256 of
 * `id.timestamp.body`, keyed by the secret's bytes after `whsec_`. Node's own
 * HMAC rather than the `standardwebhooks` library's pure-JavaScript SHA-256,
 * which cost a tenth of a delivery's CPU; the tests verify every delivery with
 * that library, so the two cannot drift apart.
 */
export function signature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** The shortest time between two wakes of the delivery worker by writes that made events. */
const WAKE_EVERY_MS = 5;

/**
 * Has `worker` look for work after each write that made events, at most once
 * every {@link WAKE_EVERY_MS} (a worker that found work looks again within
 * BUSY_POLL_MS anyway): an idle worker sends at once rather than at its next poll.
 */
export function wakeOnEvents(store: Store, worker: { wake(): void }): void {
  let wokenAt = -Infinity;
  store.onEventsWritten(() => {
    const now = performance.now();
    if (now - wokenAt < WAKE_EVERY_MS) return;
    wokenAt = now;
    worker.wake();
  });
}

/**
 * The delivery worker: off every request's path, it fans committed events out
 * to the endpoints that want them, then sends due deliveries signed with the
 * Standard Webhooks scheme. A 2xx within the timeout is success; anything else
 * is retried with exponential backoff and jitter for three days. Several
 * processes share the work (rows another holds are skipped); a crash between
 * sending and recording repeats a delivery after its lease, never loses one.
 */
export function startDeliveryWorker(ctx: ServiceContext, opts: DeliveryOptions): { stop(): Promise<void>; wake(): void } {
  const retryBaseMs = opts.retryBaseMs ?? 5_000;
  const maxFailures = opts.maxFailures ?? 200;
  const leaseMs = opts.leaseMs ?? LEASE_MS;
  // A send must end well inside its lease, or another worker could take the delivery while it runs.
  const timeoutMs = Math.min(opts.timeoutMs ?? 10_000, Math.floor(leaseMs / 2));
  const pollMs = opts.pollMs ?? 1_000;
  const disable = { maxFailures, windowMs: RETRY_WINDOW_MS, reason: (failed: WebhookAttempt) => `disabled after failing deliveries (last: ${failed.error})` };
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  /** A delivery's request, signed and ready (null: its event or endpoint is gone). */
  const prepare = (delivery: WebhookDelivery, event: PurseEvent | undefined, endpoint: WebhookEndpoint | null): Prepared | null => {
    if (!event || !endpoint) return null;
    const body = JSON.stringify(opts.render(event));
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Purse-Webhooks/1',
      'webhook-id': event.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature(endpoint.secret, event.id, timestamp, body),
    };
    return { delivery, url: parsedUrl(endpoint.url), headers, body };
  };

  /** Sends one prepared delivery; what happened, to record with the rest of its batch. */
  const send = async ({ delivery, url, headers, body }: Prepared, deadline: AbortSignal): Promise<AttemptResult> => {
    let statusCode: number | null = null;
    let error: string | null = null;
    const started = performance.now();
    try {
      statusCode = await post(url, headers, body, timeoutMs, deadline);
      if (statusCode < 200 || statusCode >= 300) error = `answered ${statusCode}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const now = Date.now();
    const attempt = delivery.attempts + 1;
    const gaveUp = error !== null && now - delivery.createdAt >= RETRY_WINDOW_MS;
    const next: WebhookDelivery = {
      ...delivery,
      attempts: attempt,
      status: error === null ? 'succeeded' : gaveUp ? 'failed' : 'pending',
      nextAttemptAt: error === null || gaveUp ? delivery.nextAttemptAt : now + retryDelayMs(attempt, retryBaseMs, Math.random()),
      lockedUntil: null,
      updatedAt: now,
    };
    const record: WebhookAttempt = {
      id: newId('wha'),
      deliveryId: delivery.id,
      endpointId: delivery.endpointId,
      eventId: delivery.eventId,
      attempt,
      statusCode,
      error,
      latencyMs: Math.round(performance.now() - started),
      at: now,
    };
    return { attempt: record, delivery: next };
  };

  /** Whether the last round found work: while it does, the worker looks again soon rather than at the idle poll. */
  let found = false;
  /**
   * Whether the last turn that found events found no endpoint enabled, and only marked them
   * dispatched: the worker then looks at the idle poll, a full batch at a time, and a write's
   * events do not wake it (marking them sooner sends nothing sooner). The first round that
   * finds an endpoint enabled, within one idle poll of its creation, makes it eager again.
   */
  let onlyMarking = false;
  const round = async (): Promise<void> => {
    // One transaction a turn: the batch just sent is recorded as the next one is taken.
    let sent: AttemptResult[] = [];
    found = false;
    for (;;) {
      const turn = await ctx.store.deliveryTurn(sent, Date.now(), stopped ? 0 : MAX_CONCURRENT_SENDS, leaseMs, disable);
      const due = turn.deliveries;
      if (due.length === 0 && turn.dispatched === 0) return;
      found = true;
      onlyMarking = turn.noEndpoint === true && due.length === 0;
      if (onlyMarking) {
        if (turn.dispatched < MAX_EVENTS_MARKED) return;
        sent = [];
        continue;
      }
      // An endpoint is read once a turn, not once a delivery, and before the batch's clock starts.
      const endpointIds = [...new Set(due.map((d) => d.endpointId))];
      const endpoints = new Map(await Promise.all(endpointIds.map(async (id) => [id, await ctx.store.getWebhookEndpoint(id)] as const)));
      // Every request is rendered and signed first; then the batch is sent at once, so one timer,
      // started once they are all out, bounds every send of it with the whole timeout.
      const ready: Prepared[] = [];
      for (const d of due) {
        try {
          const r = prepare(d, turn.events.get(d.eventId), endpoints.get(d.endpointId) ?? null);
          if (r) ready.push(r);
        } catch (err) {
          opts.onError?.(err);
        }
      }
      const deadline = new AbortController();
      setMaxListeners(MAX_CONCURRENT_SENDS + 1, deadline.signal);
      const sends = ready.map((r) =>
        send(r, deadline.signal).catch((err) => {
          opts.onError?.(err);
          return null;
        }),
      );
      // Started once every send has started (each starts its own clock, and starting 64 of them
      // takes milliseconds on a loaded machine), so none is given less than the whole timeout.
      const stopTimer = abortAfter(deadline, timeoutMs);
      const results = await Promise.all(sends).finally(stopTimer);
      // A crash before the next turn commits sends this batch again after the lease, never loses it.
      sent = results.filter((r): r is AttemptResult => r !== null);
    }
  };

  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  let busy = false;
  let again = false;
  function tick(): void {
    timer = null;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    running = round()
      .catch((err) => opts.onError?.(err))
      .finally(() => {
        busy = false;
        // Events arrive in bursts: a worker that just sent some looks again within BUSY_POLL_MS, so
        // it keeps pace with the writes instead of letting a second's worth pile up.
        schedule(again ? 0 : found && !onlyMarking ? Math.min(BUSY_POLL_MS, pollMs) : pollMs);
        again = false;
      });
  }
  schedule(pollMs);
  return {
    /** Looks for work now rather than at the next poll (after a write that made events). */
    wake: () => {
      if (!onlyMarking) schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
