import type { FastifyServerOptions } from 'fastify';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Config } from './config.js';
import { applyCatalog, readCatalogFile } from './catalog-file.js';
import { loadDemo } from './demo.js';
import { buildApp, type PurseApp } from './http/app.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { sessionSecret } from './service/auth.js';
import { systemClock, TestClock } from './service/clock.js';
import type { ServiceContext } from './service/context.js';
import { startSweeper } from './service/sweep.js';
import { startTopUpWorker } from './service/auto-top-up.js';
import { startDeliveryWorker, wakeOnEvents } from './service/webhooks.js';
import { startDeliveryThread } from './delivery-thread.js';
import { view } from './http/views.js';
import { openStore } from './store/open-store.js';
import { createStripeProvider } from './payments/stripe-provider.js';
import { sandboxProvider } from './payments/provider.js';
import type { Store } from './store/store.js';

/** The built web app (web/dist), beside src/ and dist/. */
/** Where the built web app is (npm run build); served at / when its index.html is there. */
export const WEB_ROOT = fileURLToPath(new URL('../web/dist', import.meta.url));

export interface Purse {
  app: PurseApp;
  ctx: ServiceContext;
  testClock: TestClock | null;
  metrics: Metrics;
  close(): Promise<void>;
}

/**
 * Wires a whole Purse: store (migrated), clock, auth, background sweep, HTTP app.
 * `main.ts` listens with it; tests use it in-process.
 */
export async function createPurse(config: Config, opts: { store?: Store; logger?: FastifyServerOptions['logger'] } = {}): Promise<Purse> {
  const store = opts.store ?? (await openStore(config.databaseUrl));
  const testClock = config.testClock ? new TestClock(Date.now(), store) : null;
  await testClock?.start();
  const payments = config.stripe ? createStripeProvider(config.stripe) : sandboxProvider;
  const ctx: ServiceContext = {
    store,
    clock: testClock ?? systemClock,
    payments,
    ...(config.alerts ? { alerts: config.alerts } : {}),
    ...(config.refundPolicy ? { refundPolicy: config.refundPolicy } : {}),
    ...(config.autoTopUp ? { autoTopUpCooldownSeconds: config.autoTopUp.cooldownSeconds } : {}),
  };
  const auth = { envApiKey: config.apiKey, sessionSecret: await sessionSecret(ctx, config.sessionSecret) };
  if (config.catalogPath) await applyCatalog(ctx, readCatalogFile(config.catalogPath));
  if (config.demo) await loadDemo(ctx);
  const metrics = createMetrics(store);
  const app = await buildApp({
    ctx,
    metrics,
    sessionWritesPerMinute: config.sessionWritesPerMinute,
    auth,
    testClock,
    logger: opts.logger,
    stripeWebhookSecret: config.stripe?.webhookSecret,
    demo: config.demo,
    corsOrigins: config.corsOrigins,
    webRoot: WEB_ROOT,
    checkSerialization: config.checkSerialization,
  });
  const sweeper = startSweeper(ctx, {
    intervalMs: config.sweepSeconds * 1000,
    onError: (err) => app.log.error({ err }, 'sweep failed'),
    beforeEach: () => testClock?.sync(),
    idempotencyDays: config.idempotencyDays,
  });
  // Auto top-ups are paid here, off every request's path: a reservation only records a pending top-up.
  const topUps = startTopUpWorker(ctx, {
    pollMs: config.autoTopUp?.pollMs ?? 1_000,
    onError: (err) => app.log.error({ err }, 'auto top-up payment failed'),
    beforeEach: () => testClock?.sync(),
  });
  // Webhook delivery in a thread of its own where it can run there (a database file or a server), else in this event loop.
  const onDeliveryError = (err: unknown) => app.log.error({ err }, 'webhook delivery failed');
  const thread = opts.store ? null : await startDeliveryThread(config.databaseUrl, config.webhooks ?? {}, onDeliveryError);
  app.log.info(thread ? 'webhook delivery runs in a thread of its own' : 'webhook delivery runs in the API event loop');
  const deliveries = thread ?? startDeliveryWorker(ctx, { render: view.event, ...(config.webhooks ?? {}), onError: onDeliveryError });
  wakeOnEvents(ctx.store, deliveries);
  return {
    app,
    ctx,
    testClock,
    metrics,
    async close() {
      await deliveries.stop();
      await topUps.stop();
      await sweeper.stop();
      await app.close();
      if (!opts.store) await store.close();
    },
  };
}

/**
 * PURSE_METRICS_PORT: a listener that serves only `GET /metrics`, without a
 * key, for a scraper on a private network; the API's own /metrics needs a
 * secret key.
 */
export async function listenMetrics(purse: Pick<Purse, 'metrics'>, port: number, host: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here.\n');
      return;
    }
    purse.metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': purse.metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
