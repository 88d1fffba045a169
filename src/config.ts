import { DEFAULT_COOLDOWN_SECONDS } from './domain/auto-top-up.js';
import type { AlertSettings } from './domain/events.js';
import { DEFAULT_ALERTS, MAX_THRESHOLDS } from './service/alerts.js';
import { FAILURE_REASONS, isFailureReason, type RefundPolicyOverride } from './domain/refunds.js';
/** Purse's settings, read from the environment (PRODUCT.md, "Configuration"). */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  apiKey: string | undefined;
  demo: boolean;
  payments: 'sandbox' | 'stripe';
  testClock: boolean;
  sessionSecret: string | undefined;
  sweepSeconds: number;
  /** How long idempotency records are kept; 0 keeps them forever. */
  idempotencyDays: number;
  logLevel: string;
  /** A catalog file (tools, plans, packs) applied at start. */
  catalogPath: string | undefined;
  /** Origins whose pages may call the customer-session routes (PURSE_CORS_ORIGINS); none by default. */
  corsOrigins: string[];
  /** Writes a customer session may make per minute (purchases, demo generations); 0 turns the limit off. */
  sessionWritesPerMinute: number;
  /** A second listener that serves only /metrics, without a key (PURSE_METRICS_PORT); null: /metrics needs a secret key. */
  metricsPort: number | null;
  stripe: { secretKey: string; webhookSecret: string; publicUrl: string; apiBase?: string } | null;
  /** Alert defaults for customers without their own: PURSE_LOW_BALANCE, PURSE_EXPIRING_SOON_DAYS. */
  alerts?: AlertSettings;
  /** Webhook delivery: the first retry's wait, failures in a row that disable an endpoint, the idle poll, how long a worker holds a delivery it took. */
  webhooks?: { retryBaseMs: number; maxFailures: number; pollMs: number; leaseMs?: number };
  /** Auto top-up: how often the worker looks for top-ups to pay (PURSE_AUTO_TOP_UP_POLL_MS), the default cooldown (PURSE_AUTO_TOP_UP_COOLDOWN_SECONDS). */
  autoTopUp?: { pollMs: number; cooldownSeconds: number };
  /** The refund policy of tools without their own, over the built-in one (PURSE_REFUND_POLICY). */
  refundPolicy?: RefundPolicyOverride;
  /** Tests: every answer is also serialized by zod, and an answer whose bytes differ from the compiled serializer's fails (see http/serializer.ts). */
  checkSerialization?: boolean;
}

/**
 * PURSE_REFUND_POLICY: `reason=percent` pairs, comma-separated, each reason of
 * the closed set at most once, each percent a whole number from 0 to 100.
 *
 * @example parseRefundPolicy('safety_blocked=0,user_canceled=50') // → { safety_blocked: 0, user_canceled: 50 }
 */
export function parseRefundPolicy(text: string): RefundPolicyOverride {
  const policy: RefundPolicyOverride = {};
  const bad = (why: string) =>
    new ConfigError(`PURSE_REFUND_POLICY must be reason=percent pairs, comma-separated (e.g. safety_blocked=0,user_canceled=50), reasons ${FAILURE_REASONS.join(', ')}, percents 0 to 100: ${why}`);
  for (const pair of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([a-z_]+)\s*=\s*(\d{1,3})$/.exec(pair);
    if (!m) throw bad(`"${pair}" is not reason=percent`);
    const [, reason, percent] = m;
    if (!isFailureReason(reason)) throw bad(`"${reason}" is not a failure reason`);
    if (policy[reason] !== undefined) throw bad(`${reason} is given twice`);
    if (Number(percent) > 100) throw bad(`${percent} is more than 100`);
    policy[reason] = Number(percent);
  }
  return policy;
}

export class ConfigError extends Error {}

/** The shortest PURSE_SESSION_SECRET accepted: 32 bytes, as much as the generated one. */
export const MIN_SESSION_SECRET_BYTES = 32;

/** A database URL fit to print: its password replaced by `***`. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/?#]*:)[^@/?#]*@/, '$1***@');
}

/** PURSE_DATABASE_URL, all the operator commands (`purse keys`, `ledger-check`) need. */
export function readDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const databaseUrl = env.PURSE_DATABASE_URL ?? 'sqlite:./data/purse.db';
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) throw new ConfigError('PURSE_DATABASE_URL must be sqlite:PATH or postgres://…');
  return databaseUrl;
}

/** A TCP port from the environment, or the fallback when unset. */
function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number | null): number | null {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const port = Number(v);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`${name} must be a port number, not "${v}"`);
  return port;
}

/**
 * Reads the configuration. `npm start` turns the demo catalog on by default;
 * `node dist/main.js` in production starts empty unless PURSE_DEMO=1, and then
 * refuses to start until PURSE_PAYMENTS names the payment provider.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const flag = (name: string, fallback: boolean) => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    if (v === '1' || v === 'true') return true;
    if (v === '0' || v === 'false') return false;
    throw new ConfigError(`${name} must be 1 or 0, not "${v}"`);
  };
  const port = portFrom(env, 'PORT', 3000)!;
  const demo = flag('PURSE_DEMO', env.npm_lifecycle_event === 'start');
  // Outside demo mode nothing is free by default: the payment provider is chosen explicitly.
  if (!env.PURSE_PAYMENTS && !demo) throw new ConfigError('set PURSE_PAYMENTS=stripe (with STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET), or PURSE_PAYMENTS=sandbox to give packs away free, or PURSE_DEMO=1');
  const payments = env.PURSE_PAYMENTS || 'sandbox';
  if (payments !== 'sandbox' && payments !== 'stripe') throw new ConfigError(`PURSE_PAYMENTS must be sandbox or stripe, not "${payments}"`);
  const apiKey = env.PURSE_API_KEY || undefined;
  if (apiKey !== undefined && !apiKey.startsWith('sk_')) throw new ConfigError('PURSE_API_KEY must be a secret key starting with sk_ (any long random text after it)');
  const sessionSecret = env.PURSE_SESSION_SECRET || undefined;
  if (sessionSecret !== undefined && Buffer.byteLength(sessionSecret, 'utf8') < MIN_SESSION_SECRET_BYTES) {
    throw new ConfigError(`PURSE_SESSION_SECRET must be at least ${MIN_SESSION_SECRET_BYTES} bytes (e.g. openssl rand -base64 32), or unset to keep one in the database`);
  }
  const sessionWritesPerMinute = Number(env.PURSE_SESSION_WRITES_PER_MINUTE ?? 60);
  if (!Number.isInteger(sessionWritesPerMinute) || sessionWritesPerMinute < 0) throw new ConfigError('PURSE_SESSION_WRITES_PER_MINUTE must be a whole number (0 turns the limit off)');
  const databaseUrl = readDatabaseUrl(env);
  const sweepSeconds = Number(env.PURSE_SWEEP_SECONDS ?? 5);
  if (!(sweepSeconds > 0)) throw new ConfigError('PURSE_SWEEP_SECONDS must be a positive number');
  const idempotencyDays = Number(env.PURSE_IDEMPOTENCY_DAYS ?? 30);
  if (!(idempotencyDays >= 0)) throw new ConfigError('PURSE_IDEMPOTENCY_DAYS must be 0 (keep forever) or a number of days');
  // Written as browsers send them in Origin: lower-case host, no default port, no trailing slash.
  const corsOrigins = (env.PURSE_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/$/, ''))
    .filter((o) => o !== '')
    .map((origin) => {
      const bad = new ConfigError(`PURSE_CORS_ORIGINS must be origins like https://app.example.com, separated by commas, not "${origin}"`);
      if (!/^https?:\/\/[^/?#\s*]+$/i.test(origin)) throw bad;
      try {
        return new URL(origin).origin;
      } catch {
        throw bad;
      }
    });
  let stripe: Config['stripe'] = null;
  if (payments === 'stripe') {
    const secretKey = env.STRIPE_SECRET_KEY;
    const webhookSecret = env.STRIPE_WEBHOOK_SECRET;
    if (!secretKey || !webhookSecret) throw new ConfigError('PURSE_PAYMENTS=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET');
    stripe = {
      secretKey,
      webhookSecret,
      publicUrl: (env.PURSE_PUBLIC_URL ?? `http://${env.HOST ?? '127.0.0.1'}:${port}`).replace(/\/$/, ''),
      ...(env.STRIPE_API_BASE ? { apiBase: env.STRIPE_API_BASE } : {}),
    };
  }
  const lowBalance = (env.PURSE_LOW_BALANCE ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (lowBalance.some((n) => !Number.isSafeInteger(n) || n < 1) || lowBalance.length > MAX_THRESHOLDS) {
    throw new ConfigError(`PURSE_LOW_BALANCE must be up to ${MAX_THRESHOLDS} whole numbers of credits, comma-separated (e.g. 100,10), not "${env.PURSE_LOW_BALANCE}"`);
  }
  const expiringSoonDays = Number(env.PURSE_EXPIRING_SOON_DAYS ?? DEFAULT_ALERTS.expiringSoonDays);
  if (!Number.isInteger(expiringSoonDays) || expiringSoonDays < 0 || expiringSoonDays > 365) throw new ConfigError('PURSE_EXPIRING_SOON_DAYS must be a whole number of days from 0 to 365');
  const whole = (name: string, fallback: number, min: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`${name} must be a whole number of at least ${min}, not "${env[name]}"`);
    return value;
  };
  const webhooks = {
    retryBaseMs: whole('PURSE_WEBHOOK_RETRY_BASE_MS', 5_000, 10),
    maxFailures: whole('PURSE_WEBHOOK_MAX_FAILURES', 100, 1),
    pollMs: whole('PURSE_WEBHOOK_POLL_MS', 1_000, 10),
    leaseMs: whole('PURSE_WEBHOOK_LEASE_MS', 60_000, 1_000),
  };
  const autoTopUp = {
    pollMs: whole('PURSE_AUTO_TOP_UP_POLL_MS', 1_000, 10),
    cooldownSeconds: whole('PURSE_AUTO_TOP_UP_COOLDOWN_SECONDS', DEFAULT_COOLDOWN_SECONDS, 0),
  };
  const refundPolicy = parseRefundPolicy(env.PURSE_REFUND_POLICY ?? '');
  return {
    refundPolicy,
    alerts: { lowBalance, expiringSoonDays },
    webhooks,
    autoTopUp,
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl,
    apiKey,
    demo,
    payments,
    testClock: flag('PURSE_TEST_CLOCK', false),
    sessionSecret,
    sweepSeconds,
    idempotencyDays,
    logLevel: env.LOG_LEVEL ?? 'info',
    catalogPath: env.PURSE_CATALOG || undefined,
    corsOrigins,
    sessionWritesPerMinute,
    metricsPort: portFrom(env, 'PURSE_METRICS_PORT', null),
    stripe,
  };
}
