import { DAY_MS } from '../domain/time.js';
import { createHash } from 'node:crypto';
import type { CustomerSnapshot, Decision } from '../store/store.js';
import type { CustomerWork } from './customer-work.js';
import type { Answer } from './results.js';
import type { ServiceContext } from './context.js';
import { errors } from './errors.js';

/** A stable hash of a request: the same fields in any key order hash the same. */
export function requestHash(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

/**
 * Retention: forgets idempotency records older than `days` days, a thousand at a
 * time so no write waits long. After that, a retried request with an old key is
 * a new request (a generation id stays taken: its generation is still there).
 * Returns how many records it forgot.
 */
export async function pruneIdempotency(ctx: ServiceContext, days: number): Promise<number> {
  const before = ctx.clock.now() - days * DAY_MS;
  let total = 0;
  for (;;) {
    const n = await ctx.store.pruneIdempotency(before, 1000);
    total += n;
    if (n < 1000) return total;
  }
}

/** The answer a write gave, replayed when the same key comes again with the same request. */
export interface Replay {
  statusCode: number;
  response: unknown;
}

/**
 * Rule 12: the same key and request returns the first answer; the same key with
 * another request is refused. Returns null when the key is new.
 */
export function replayFor(snapshot: CustomerSnapshot, key: string, hash: string): Replay | null {
  const record = snapshot.idempotency;
  if (!record) return null;
  if (record.requestHash !== hash) throw errors.idempotencyConflict(key);
  return { statusCode: record.statusCode, response: record.response };
}

/**
 * The idempotent preamble of a write (Rule 12): when `key` came before with the
 * same request, the decision that answers the first answer again (and writes
 * nothing); null when the write is new (or has no key).
 */
export function replayed<T>(work: CustomerWork, snapshot: CustomerSnapshot, key: string | undefined, hash: string): Decision<Answer<T>> | null {
  if (key === undefined) return null;
  const replay = replayFor(snapshot, key, hash);
  return replay ? work.finish({ statusCode: replay.statusCode, body: replay.response as T, replayed: true }) : null;
}
