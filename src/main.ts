import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig, redactDatabaseUrl, type Config } from './config.js';
import { DEMO_CUSTOMER_ID } from './demo.js';
import { createApiKey } from './service/auth.js';
import { createPurse, listenMetrics, WEB_ROOT } from './server.js';
import { explainStartError } from './start-errors.js';

/** Starts the server: `npm start` (demo catalog on) or `node dist/main.js` in production. */
async function main(): Promise<void> {
  let config: Config | null = null;
  try {
    config = readConfig();
    await start(config);
  } catch (err) {
    // One line that says what is wrong and what to do; the stack only when asked for.
    console.error(explainStartError(err, config));
    if (/^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '')) console.error(err);
    process.exit(1);
  }
}

async function start(config: Config): Promise<void> {
  const purse = await createPurse(config, { logger: { level: config.logLevel } });
  try {
    await purse.app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await purse.close().catch(() => {});
    throw err;
  }
  const address = purse.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = (p: number) => `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${p}`;
  const base = url(port);
  let metrics: Awaited<ReturnType<typeof listenMetrics>> | null = null;
  try {
    if (config.metricsPort !== null) metrics = await listenMetrics(purse, config.metricsPort, config.host);
  } catch (err) {
    await purse.close().catch(() => {});
    throw err;
  }

  const lines = [
    '',
    `Purse is running on ${redactDatabaseUrl(config.databaseUrl)}${config.demo ? ' with the demo catalog' : ''}${config.testClock ? ' and the test clock' : ''}`,
    ...(existsSync(join(WEB_ROOT, 'index.html')) ? [`  Web:   ${base}/  (operator console: ${base}/console)`] : []),
    `  API:   ${base}/v1`,
    `  Docs:  ${base}/docs`,
    `  Metrics: ${metrics ? `${url(metrics.port)}/metrics (no key; keep this port private)` : `${base}/metrics with a secret key, or set PURSE_METRICS_PORT`}`,
  ];
  if (config.payments === 'sandbox' && !config.demo) {
    lines.push('  WARNING: PURSE_PAYMENTS=sandbox: purchases are free; every pack bought is paid at once. Use PURSE_PAYMENTS=stripe to charge.');
  }
  const keys = await purse.ctx.store.listApiKeys();
  if (keys.length === 0 && !config.apiKey) {
    const { key } = await createApiKey(purse.ctx, 'first key');
    lines.push(`  A first secret API key was created; it is shown only now, so keep it:`, `    ${key}`);
  } else {
    lines.push('  API key: set PURSE_API_KEY, or create one with `npm run keys -- create NAME`');
  }
  if (config.demo) lines.push(`  Try:   curl -H "Authorization: Bearer <key>" ${base}/v1/customers/${DEMO_CUSTOMER_ID}/balance`);
  console.log(lines.join('\n') + '\n');

  const stop = async (signal: string) => {
    purse.app.log.info(`${signal}: shutting down`);
    await metrics?.close();
    await purse.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

void main();
