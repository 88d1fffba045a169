import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, TEST_API_KEY, uid } from '../helpers.js';
import { spawnPurse, type PurseProcess } from '../process.js';

/**
 * The SDK as an app gets it: `npm pack` in sdk/, the tarball installed into a
 * fresh plain ESM project, and a plain .mjs script run with `node` against a
 * real server process — then a TypeScript consumer checked against the packed
 * declarations.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

let dir: string;
let app: string;
let packed: { filename: string; files: { path: string }[] };
let server: PurseProcess;
let db: { url: string; drop(): Promise<void> };

async function pack(): Promise<void> {
  // prepack builds sdk/dist with tsc; --json lists what went into the tarball.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: join(ROOT, 'sdk') });
  packed = (JSON.parse(stdout) as (typeof packed)[])[0]!;
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'purse-sdk-consumer', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, packed.filename)], { cwd: app });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'purse-sdk-pack-'));
  app = join(dir, 'app');
  mkdirSync(app);
  db = await testDatabase(dir);
  const started = spawnPurse({
    PURSE_DATABASE_URL: db.url,
    PURSE_API_KEY: TEST_API_KEY,
    PURSE_PAYMENTS: 'sandbox',
    PURSE_TEST_CLOCK: '0',
    PURSE_SESSION_SECRET: 'a-session-secret-of-at-least-32-bytes-for-the-sdk-test',
  });
  const [s] = await Promise.all([started, pack()]);
  server = s;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const CONSUMER_MJS = `
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Purse, PurseError, verifyWebhook } from '@purse/sdk';

const { PURSE_URL, PURSE_API_KEY, CUSTOMER_ID: customerId, TOOL_ID: toolId } = process.env;
const purse = new Purse({ baseUrl: PURSE_URL, apiKey: PURSE_API_KEY });

await purse.putTool(toolId, { name: 'Text to image', credits: 5, unit: 'image' });
await purse.putCustomer(customerId, { name: 'Packed SDK' });
await purse.grant(customerId, { amount: 100, source: 'bonus', reason: 'welcome' });

// A job that succeeds: 2 images at 5 credits.
const ok = await purse.generate(customerId, toolId, async ({ generation }) => 'made ' + generation.id, { units: 2 });
assert.equal(ok.result, 'made ' + ok.generation.id);
assert.equal(ok.generation.status, 'completed');
assert.equal(ok.generation.charged, 10);

// A job that throws: its own error comes back, and so do the credits.
const boom = new Error('the GPU fell over');
let heldWhileRunning;
await assert.rejects(
  purse.generate(customerId, toolId, async () => {
    heldWhileRunning = (await purse.balance(customerId)).reserved;
    throw boom;
  }, { units: 3 }),
  (err) => err === boom,
);
assert.equal(heldWhileRunning, 15);

// A job that made fewer units than reserved: 1 of 4.
const fewer = await purse.generate(customerId, toolId, async () => ({ value: 'one image', units: 1 }), { units: 4 });
assert.equal(fewer.result, 'one image');
assert.equal(fewer.generation.chargedUnits, 1);
assert.equal(fewer.generation.charged, 5);

// Too few credits: refused with the contract's code before anything runs.
const refused = await purse.reserve({ customerId, toolId, units: 100 }).catch((err) => err);
assert.ok(refused instanceof PurseError);
assert.equal(refused.code, 'insufficient_credits');
assert.deepEqual(refused.details, { available: 85, required: 500 });

const balance = await purse.balance(customerId);
const generations = (await purse.listGenerations(customerId)).data;
const ledger = [];
for await (const entry of purse.ledgerEntries(customerId, 2)) ledger.push(entry.type);

// A webhook delivery signed by hand, checked by the packed SDK.
const secret = 'whsec_' + Buffer.from('a secret of the packed sdk test').toString('base64');
const body = JSON.stringify({ id: 'evt_1', type: 'generation.failed', createdAt: new Date().toISOString(), customerId, data: {} });
const ts = Math.floor(Date.now() / 1000);
const signature = 'v1,' + createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update('evt_1.' + ts + '.' + body).digest('base64');
const event = verifyWebhook(body, { 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': signature }, secret);
assert.throws(() => verifyWebhook(body + ' ', { 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': signature }, secret));

console.log(JSON.stringify({
  available: balance.available,
  reserved: balance.reserved,
  generations: generations.map((g) => [g.status, g.charged]),
  ledger,
  event: event.type,
}));
`;

const CONSUMER_TS = `
import { Purse, PurseError, verifyWebhook, type Balance, type EventType, type Generation, type PurseEvent } from '@purse/sdk';

const purse = new Purse({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'sk_example' });

export async function use(): Promise<string> {
  const { generation, result } = await purse.generate('u_42', 'text-to-image', async () => ({ value: 42, units: 1 }), { units: 2 });
  const doubled: number = result * 2;
  const status: 'reserved' | 'completed' | 'failed' = generation.status;
  const balance: Balance = await purse.balance('u_42');
  const page = await purse.listEvents({ customerId: 'u_42', type: 'credits.low', limit: 10 });
  const types: EventType[] = page.data.map((e) => e.type);
  const endpoint = await purse.createWebhookEndpoint({ url: 'https://app.example/purse', events: ['generation.failed'] });
  const event: PurseEvent<Generation> = verifyWebhook<Generation>('{}', new Headers(), endpoint.secret);
  try {
    await purse.reserve({ customerId: 'u_42', toolId: 'video', units: 30 });
  } catch (err) {
    if (err instanceof PurseError && err.code === 'insufficient_credits') return String(err.details?.required);
  }
  // @ts-expect-error units is a number
  await purse.reserve({ customerId: 'u_42', toolId: 'video', units: 'thirty' });
  // @ts-expect-error a tool has a name
  await purse.putTool('video', { credits: 10 });
  // @ts-expect-error not an event type
  await purse.listEvents({ type: 'credits.plenty' });
  // @ts-expect-error available is a number
  const wrong: string = balance.available;
  return [doubled, status, types.join(), event.data.status, wrong].join(' ');
}
`;

describe('the packed TypeScript SDK', () => {
  it('holds only the built JavaScript and declarations, with no dependency and no server code', () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files).toEqual(['README.md', 'dist/index.d.ts', 'dist/index.js', 'dist/types.d.ts', 'dist/types.js', 'dist/webhooks.d.ts', 'dist/webhooks.js', 'package.json']);
    const installed = join(app, 'node_modules', '@purse', 'sdk');
    expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).dependencies).toBeUndefined();
    expect(readdirSync(join(app, 'node_modules')).sort()).toEqual(['.package-lock.json', '@purse']);
    for (const file of readdirSync(join(installed, 'dist')).filter((f) => f.endsWith('.js'))) {
      const imports = [...readFileSync(join(installed, 'dist', file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
      for (const spec of imports) expect(['./types.js', './webhooks.js', 'node:crypto']).toContain(spec);
    }
  });

  it('runs generations from a plain .mjs script with node: one succeeds, one fails with credits back, one charges fewer units', async () => {
    const customerId = uid('pkg');
    const script = join(app, 'consumer.mjs');
    writeFileSync(script, CONSUMER_MJS);
    const { stdout } = await run(process.execPath, [script], {
      cwd: app,
      env: { ...process.env, PURSE_URL: server.url, PURSE_API_KEY: TEST_API_KEY, CUSTOMER_ID: customerId, TOOL_ID: uid('tool') },
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(out).toEqual({
      available: 85,
      reserved: 0,
      generations: [
        ['completed', 5],
        ['failed', 0],
        ['completed', 10],
      ],
      // Newest first: the short job (reserve, charge 1 unit, release 3), the failed job (reserve, release), the first job (reserve, charge), the grant.
      ledger: ['release', 'charge', 'reserve', 'release', 'reserve', 'charge', 'reserve', 'grant'],
      event: 'generation.failed',
    });
    // The server's own answer, read without the SDK.
    const res = await fetch(`${server.url}/v1/customers/${customerId}/balance`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
    expect(await res.json()).toMatchObject({ available: 85, reserved: 0 });
  });

  it('gives a TypeScript project full types from the packed declarations', async () => {
    writeFileSync(join(app, 'consumer.ts'), CONSUMER_TS);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', join(app, 'tsconfig.json')], { cwd: app }).catch((err: { stdout: string }) => err);
    expect(result.stdout).toBe('');
  });
});
