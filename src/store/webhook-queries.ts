import type { EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../domain/events.js';

type Row = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * The webhook queries both stores run, written once with `?` placeholders;
 * {@link numbered} turns them into PostgreSQL's `$1, $2 …` (Kysely's SQLite and
 * PostgreSQL compilers differ in just this way).
 */
export const WEBHOOK_SQL = {
  upsertEndpoint: `INSERT INTO webhook_endpoints (id, url, events, description, secret, status, disabled_reason, consecutive_failures, failing_since, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET url = excluded.url, events = excluded.events, description = excluded.description, status = excluded.status,
      disabled_reason = excluded.disabled_reason, consecutive_failures = excluded.consecutive_failures, failing_since = excluded.failing_since,
      updated_at = excluded.updated_at`,
  getEndpoint: 'SELECT * FROM webhook_endpoints WHERE id = ?',
  listEndpoints: 'SELECT * FROM webhook_endpoints ORDER BY created_at, id',
  enabledEndpoints: "SELECT * FROM webhook_endpoints WHERE status = 'enabled'",
  deleteEndpoint: 'DELETE FROM webhook_endpoints WHERE id = ?',
  dropPendingOf: "DELETE FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'pending'",
  anyUndispatched: '/* cross-shard: the delivery worker’s look for new events, one row */ SELECT 1 AS x FROM events WHERE dispatched = 0 LIMIT 1',
  /** Is any delivery to an enabled endpoint due and held by no worker? */
  anyDue: `SELECT 1 AS x FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (d.locked_until IS NULL OR d.locked_until <= ?) AND e.status = 'enabled' LIMIT 1`,
  /** Holds due deliveries no worker holds; the store closes it with its row-lock clause, `)` and `RETURNING *`. */
  claimDue: `UPDATE webhook_deliveries SET locked_until = ? WHERE id IN (
    SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
     WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (d.locked_until IS NULL OR d.locked_until <= ?) AND e.status = 'enabled'
     ORDER BY d.next_attempt_at LIMIT ?`,
  /** Marks `n` of one customer's events dispatched (customer, then their seqs): one shard each on Citus. */
  markDispatched: (n: number) => `UPDATE events SET dispatched = 1 WHERE customer_id = ? AND seq IN (${placeholders(n)})`,
  updateDelivery: 'UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, locked_until = ?, updated_at = ? WHERE id = ?',
  endpointSucceeded: 'UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL WHERE id = ?',
  /** A failed attempt: counted, and the endpoint disabled after `max` in a row or a failing run as long as the window. */
  endpointFailed: `UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, failing_since = coalesce(failing_since, ?),
      status = CASE WHEN consecutive_failures + 1 >= ? OR ? - coalesce(failing_since, ?) >= ? THEN 'disabled' ELSE status END,
      disabled_reason = CASE WHEN status = 'enabled' AND (consecutive_failures + 1 >= ? OR ? - coalesce(failing_since, ?) >= ?)
        THEN ? ELSE disabled_reason END,
      updated_at = ?
    WHERE id = ?`,
  listAttempts: 'SELECT * FROM webhook_attempts WHERE endpoint_id = ? AND (at, id) < (?, ?) ORDER BY at DESC, id DESC LIMIT ?',
} as const;

/** `n` placeholders: `?, ?, ?`. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** `count` rows of `width` placeholders each: `(?, ?), (?, ?)`. */
function tuples(width: number, count: number): string {
  const row = `(${placeholders(width)})`;
  return Array.from({ length: count }, () => row).join(', ');
}

/**
 * A delivery turn's rows written by one statement each rather than one a row:
 * the worker holds the write lock while it records a batch, and on SQLite the
 * API's writes wait for it, so the lock is held for a few statements, not a few
 * per delivery.
 */
export const manyRows = {
  insertDeliveries: (n: number) =>
    `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, customer_id, status, attempts, next_attempt_at, locked_until, created_at, updated_at) VALUES ${tuples(10, n)}`,
  insertAttempts: (n: number) =>
    `INSERT INTO webhook_attempts (id, delivery_id, endpoint_id, event_id, attempt, status_code, error, latency_ms, at) VALUES ${tuples(9, n)}`,
  /** Deliveries that succeeded: one attempt more each, done and let go (the worker holds each, so its count is the one it read). */
  deliveriesSucceeded: (n: number) =>
    `UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, locked_until = NULL, updated_at = ? WHERE id IN (${placeholders(n)})`,
};

/** `?` placeholders as PostgreSQL's numbered ones. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export function endpointParams(e: WebhookEndpoint): unknown[] {
  return [e.id, e.url, e.events ? JSON.stringify(e.events) : null, e.description, e.secret, e.status, e.disabledReason, e.consecutiveFailures, e.failingSince, e.createdAt, e.updatedAt];
}

export function deliveryParams(d: WebhookDelivery): unknown[] {
  return [d.id, d.endpointId, d.eventId, d.customerId, d.status, d.attempts, d.nextAttemptAt, d.lockedUntil, d.createdAt, d.updatedAt];
}

export function attemptParams(a: WebhookAttempt): unknown[] {
  return [a.id, a.deliveryId, a.endpointId, a.eventId, a.attempt, a.statusCode, a.error, a.latencyMs, a.at];
}

/** The parameters of {@link WEBHOOK_SQL.endpointFailed}. */
export function endpointFailedParams(id: string, now: number, maxFailures: number, windowMs: number, reason: string): unknown[] {
  return [now, maxFailures, now, now, windowMs, maxFailures, now, now, windowMs, reason, now, id];
}

export function toEndpoint(r: Row): WebhookEndpoint {
  return {
    id: r.id as string,
    url: r.url as string,
    events: r.events == null ? null : (JSON.parse(String(r.events)) as EventType[]),
    description: (r.description as string | null) ?? null,
    secret: r.secret as string,
    status: r.status as WebhookEndpoint['status'],
    disabledReason: (r.disabled_reason as string | null) ?? null,
    consecutiveFailures: Number(r.consecutive_failures),
    failingSince: num(r.failing_since),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toDelivery(r: Row): WebhookDelivery {
  return {
    id: r.id as string,
    endpointId: r.endpoint_id as string,
    eventId: r.event_id as string,
    customerId: r.customer_id as string,
    status: r.status as WebhookDelivery['status'],
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lockedUntil: num(r.locked_until),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toAttempt(r: Row): WebhookAttempt {
  return {
    id: r.id as string,
    deliveryId: r.delivery_id as string,
    endpointId: r.endpoint_id as string,
    eventId: r.event_id as string,
    attempt: Number(r.attempt),
    statusCode: num(r.status_code),
    error: (r.error as string | null) ?? null,
    latencyMs: Number(r.latency_ms),
    at: Number(r.at),
  };
}

/**
 * A new delivery of an event to an endpoint, due now. The outbox's fan-out names
 * it by the pair, so an event reaches an endpoint through it once; a replay
 * names its own.
 */
export function newDelivery(endpointId: string, eventId: string, customerId: string, now: number, id = `${eventId}:${endpointId}`): WebhookDelivery {
  return { id, endpointId, eventId, customerId, status: 'pending', attempts: 0, nextAttemptAt: now, lockedUntil: null, createdAt: now, updatedAt: now };
}
