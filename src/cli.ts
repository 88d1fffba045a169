import { readDatabaseUrl } from './config.js';
import { createApiKey } from './service/auth.js';
import { systemClock } from './service/clock.js';
import { openStore } from './store/open-store.js';

const USAGE = `Usage:
  purse ledger-check             recompute every balance from the ledger and compare
  purse keys create NAME         create a secret API key (shown once)
  purse keys list                list API keys (prefixes only)
  purse keys revoke ID           revoke an API key
The database is PURSE_DATABASE_URL (default sqlite:./data/purse.db).`;

/** Operator commands: `npm run ledger:check`, `npm run keys -- create NAME`, or `node dist/cli.js …`. */
async function main(argv: string[]): Promise<number> {
  const [command, sub, arg] = argv;
  const store = await openStore(readDatabaseUrl());
  const ctx = { store, clock: systemClock };
  try {
    if (command === 'ledger-check') {
      const report = await store.audit();
      console.log(`Checked ${report.entries} ledger entries, ${report.grants} grants, ${report.customers} customers.`);
      if (report.problems.length === 0) {
        console.log('Every balance equals its ledger.');
        return 0;
      }
      for (const p of report.problems) console.log(`MISMATCH ${p}`);
      console.log(`${report.problems.length} problems found.`);
      return 1;
    }
    if (command === 'keys' && sub === 'create') {
      const { id, key } = await createApiKey(ctx, arg ?? 'unnamed');
      console.log(`Created ${id}. The key is shown only now:\n${key}`);
      return 0;
    }
    if (command === 'keys' && sub === 'list') {
      for (const k of await store.listApiKeys()) {
        console.log(`${k.id}  ${k.prefix}…  ${k.name}  created ${new Date(k.createdAt).toISOString()}${k.revokedAt ? `  revoked ${new Date(k.revokedAt).toISOString()}` : ''}`);
      }
      return 0;
    }
    if (command === 'keys' && sub === 'revoke' && arg) {
      const done = await store.revokeApiKey(arg, Date.now());
      console.log(done ? `Revoked ${arg}.` : `No active key ${arg}.`);
      return done ? 0 : 1;
    }
    console.error(USAGE);
    return 2;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
