import { runCli } from './cli/run.js';

/** `purse …` (bin/purse.mjs), `npm run keys -- …`, `npm run ledger:check`, or `node dist/cli.js …`. */
runCli(process.argv.slice(2), { env: process.env, out: (line) => console.log(line), err: (line) => console.error(line) }).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
