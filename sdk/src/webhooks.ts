import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PurseEvent } from './types.js';

/** Why a delivery was refused; `reason` says which check failed. */
export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: 'missing_header' | 'bad_timestamp' | 'timestamp_too_old' | 'timestamp_too_new' | 'bad_signature',
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/** Request headers as Node (`req.headers`), the Fetch API (`Headers`) or a plain object gives them. */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** How far the `webhook-timestamp` may be from now, either way; default 300 s. */
  toleranceSeconds?: number;
  /** The time to check against; default the current time. */
  now?: Date | number;
}

const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/**
 * Checks a webhook delivery from Purse (Standard Webhooks: `webhook-signature`
 * holds `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed by the secret
 * after `whsec_`) and its timestamp window, and returns the event. Pass the body
 * exactly as received (the raw text or bytes, not re-serialized JSON). Throws
 * `WebhookVerificationError` when any check fails.
 *
 * @example
 * app.post('/purse-events', express.raw({ type: 'application/json' }), (req, res) => {
 *   const event = verifyWebhook(req.body, req.headers, process.env.PURSE_WEBHOOK_SECRET!);
 *   if (event.type === 'credits.low') notifyLowBalance(event.customerId);
 *   res.sendStatus(204);
 * });
 */
export function verifyWebhook<T = Record<string, unknown>>(
  body: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): PurseEvent<T> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError('missing_header', 'webhook-id, webhook-timestamp and webhook-signature are all required');
  }
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError('bad_timestamp', 'webhook-timestamp is not a number of seconds');
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = Math.floor(Number(options.now ?? Date.now()) / 1000);
  const sent = Number(timestamp);
  if (now - sent > tolerance) throw new WebhookVerificationError('timestamp_too_old', `the delivery is older than ${tolerance} s`);
  if (sent - now > tolerance) throw new WebhookVerificationError('timestamp_too_new', `the delivery is dated more than ${tolerance} s ahead`);

  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const expected = Buffer.from(createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.`).update(bytes).digest('base64'));
  // The header may list several signatures (during a secret rotation), separated by spaces.
  const matched = signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',', 2);
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matched) throw new WebhookVerificationError('bad_signature', 'no signature matches this body and secret');
  return JSON.parse(bytes.toString('utf8')) as PurseEvent<T>;
}

/** The HMAC key: the base64 after `whsec_`. */
function secretKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) throw new TypeError('the webhook secret is empty: pass the whsec_… value the endpoint was created with');
  return key;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof headers.get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}
