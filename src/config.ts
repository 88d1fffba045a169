import type { AlertSettings } from './domain/events.js';
import { DEFAULT_ALERTS, MAX_THRESHOLDS } from './service/alerts.js';
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
  stripe: { secretKey: string; webhookSecret: string; publicUrl: string; apiBase?: string } | null;
  /** Alert defaults for customers without their own: PURSE_LOW_BALANCE, PURSE_EXPIRING_SOON_DAYS. */
  alerts?: AlertSettings;
}

export class ConfigError extends Error {}

/**
 * Reads the configuration. `npm start` turns the demo catalog on by default;
 * `node dist/main.js` in production starts empty unless PURSE_DEMO=1.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const flag = (name: string, fallback: boolean) => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    if (v === '1' || v === 'true') return true;
    if (v === '0' || v === 'false') return false;
    throw new ConfigError(`${name} must be 1 or 0, not "${v}"`);
  };
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a port number, not "${env.PORT}"`);
  const payments = env.PURSE_PAYMENTS ?? 'sandbox';
  if (payments !== 'sandbox' && payments !== 'stripe') throw new ConfigError(`PURSE_PAYMENTS must be sandbox or stripe, not "${payments}"`);
  const databaseUrl = env.PURSE_DATABASE_URL ?? 'sqlite:./data/purse.db';
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) throw new ConfigError('PURSE_DATABASE_URL must be sqlite:PATH or postgres://…');
  const sweepSeconds = Number(env.PURSE_SWEEP_SECONDS ?? 5);
  if (!(sweepSeconds > 0)) throw new ConfigError('PURSE_SWEEP_SECONDS must be a positive number');
  const idempotencyDays = Number(env.PURSE_IDEMPOTENCY_DAYS ?? 30);
  if (!(idempotencyDays >= 0)) throw new ConfigError('PURSE_IDEMPOTENCY_DAYS must be 0 (keep forever) or a number of days');
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
  return {
    alerts: { lowBalance, expiringSoonDays },
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl,
    apiKey: env.PURSE_API_KEY || undefined,
    demo: flag('PURSE_DEMO', env.npm_lifecycle_event === 'start'),
    payments,
    testClock: flag('PURSE_TEST_CLOCK', false),
    sessionSecret: env.PURSE_SESSION_SECRET || undefined,
    sweepSeconds,
    idempotencyDays,
    logLevel: env.LOG_LEVEL ?? 'info',
    catalogPath: env.PURSE_CATALOG || undefined,
    stripe,
  };
}
