/**
 * The server the HTTP bench drives: Purse exactly as `main.ts` builds it, plus one
 * trivial JSON POST route (`/bench/echo`) as the baseline for what the HTTP stack
 * itself costs. Prints `listening <url>` when ready.
 */
import { readConfig } from '../src/config.js';
import { createPurse } from '../src/server.js';

const purse = await createPurse(readConfig());
purse.app.post('/bench/echo', { config: { access: 'public' }, schema: { hide: true } }, async (req) => ({ ok: true, received: req.body }));
await purse.app.listen({ port: 0, host: '127.0.0.1' });
const address = purse.app.server.address();
console.log(`listening http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
process.on('SIGTERM', () => void purse.close().then(() => process.exit(0)));
