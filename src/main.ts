import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CatalogFileError } from './catalog-file.js';
import { ConfigError, readConfig } from './config.js';
import { DEMO_CUSTOMER_ID } from './demo.js';
import { createApiKey } from './service/auth.js';
import { createPurse, WEB_ROOT } from './server.js';

/** Starts the server: `npm start` (demo catalog on) or `node dist/main.js` in production. */
async function main(): Promise<void> {
  const config = readConfig();
  const purse = await createPurse(config, { logger: { level: config.logLevel } });
  await purse.app.listen({ port: config.port, host: config.host });
  const address = purse.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  const lines = [
    '',
    `Purse is running on ${config.databaseUrl}${config.demo ? ' with the demo catalog' : ''}${config.testClock ? ' and the test clock' : ''}`,
    ...(existsSync(join(WEB_ROOT, 'index.html')) ? [`  Web:   ${base}/  (operator console: ${base}/console)`] : []),
    `  API:   ${base}/v1`,
    `  Docs:  ${base}/docs`,
  ];
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
    await purse.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof ConfigError || err instanceof CatalogFileError ? `Configuration error: ${err.message}` : err);
  process.exit(1);
});
