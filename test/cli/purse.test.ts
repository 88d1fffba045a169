import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDatabase } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/run.js';
import { loadMigrations, loadRepeatable } from '../../src/store/migrations.js';
import { openStore } from '../../src/store/open-store.js';
import { seedCustomer, startTestPurse, uid } from '../helpers.js';
import { createTestDatabase, ON_POSTGRES } from '../pg.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

type P = Awaited<ReturnType<typeof startTestPurse>>;
let p: P;

/** Runs one `purse` command in this process against `url`; returns its exit code and what it printed. */
async function purse(url: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { env: { ...process.env, PURSE_DATABASE_URL: url, PURSE_TEST_CLOCK: '1' }, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  p = await startTestPurse();
});
afterAll(async () => p.close());

describe('the purse command', () => {
  it('says which database it opened, without the password', async () => {
    const { code, out } = await purse(p.databaseUrl, 'ledger', 'check');
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe(`Database: ${describeDatabase(p.databaseUrl)}`);
    expect(describeDatabase('postgres://purse:s3cret@db.example:5432/purse')).toBe('postgres://purse:***@db.example:5432/purse');
    expect(describeDatabase('postgres://purse:s3cret@db.example:5432/purse')).not.toContain('s3cret');
    expect(describeDatabase('sqlite:rel/purse.db')).toBe(`sqlite:${join(process.cwd(), 'rel/purse.db')}`);
  });

  it('runs as `npx purse` from the clone, and keeps `npm run keys` and `npm run ledger:check`', async () => {
    const env = { ...process.env, PURSE_DATABASE_URL: p.databaseUrl };
    const bin = await run(process.execPath, ['bin/purse.mjs', 'ledger', 'check'], { cwd: ROOT, env });
    expect(bin.stdout).toContain('Every balance equals its ledger.');
    const npx = await run('npx', ['purse', 'customers', 'find', 'nobody-has-this-name'], { cwd: ROOT, env });
    expect(npx.stdout).toContain(`Database: ${describeDatabase(p.databaseUrl)}`);
    expect(npx.stdout).toContain('No customer matches');
    const keys = await run('npm', ['run', '-s', 'keys', '--', 'create', 'from npm run'], { cwd: ROOT, env });
    expect(keys.stdout).toMatch(/sk_\S+/);
    const check = await run('npm', ['run', '-s', 'ledger:check'], { cwd: ROOT, env });
    expect(check.stdout).toContain('Every balance equals its ledger.');
  });

  it('creates a key that the API accepts, lists it, and revokes it', async () => {
    const name = uid('key');
    const created = await purse(p.databaseUrl, 'keys', 'create', name);
    expect(created.code).toBe(0);
    const key = /(sk_\S+)/.exec(created.out)![1]!;
    const id = /Created (key_\S+)\./.exec(created.out)![1]!;
    expect((await p.call('GET', '/v1/tools', undefined, { auth: key })).status).toBe(200);
    expect((await purse(p.databaseUrl, 'keys', 'list')).out).toContain(`${id}  `);
    expect((await purse(p.databaseUrl, 'keys', 'list')).out).not.toContain(key);
    expect((await purse(p.databaseUrl, 'keys', 'revoke', id)).code).toBe(0);
    expect((await p.call('GET', '/v1/tools', undefined, { auth: key })).status).toBe(401);
    expect((await purse(p.databaseUrl, 'keys', 'revoke', id)).code).toBe(1);
    expect((await purse(p.databaseUrl, 'keys', 'create')).code).toBe(2);
  });

  it('finds customers by id, email and name, and shows the balance the API shows', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 40, toolCredits: 3 });
    const email = `${uid('mail')}@example.com`;
    const name = uid('Name');
    await p.call('PUT', `/v1/customers/${customerId}`, { name, email });
    await p.call('POST', '/v1/generations', { customerId, toolId, units: 2 });
    for (const query of [customerId, email, name, email.slice(2, 12)]) {
      const found = await purse(p.databaseUrl, 'customers', 'find', query);
      expect(found.code).toBe(0);
      expect(found.out).toContain(`${customerId}  ${email}  ${name}`);
    }
    const shown = await purse(p.databaseUrl, 'customers', 'show', customerId, '--json');
    expect(shown.code).toBe(0);
    const json = JSON.parse(shown.out);
    expect(shown.err).toBe(`Database: ${describeDatabase(p.databaseUrl)}`);
    const api = (await p.call('GET', `/v1/customers/${customerId}/balance`)).body;
    expect(json.balance).toEqual({ ...api, asOf: json.balance.asOf });
    expect(json.balance).toMatchObject({ available: 34, reserved: 6 });
    const text = await purse(p.databaseUrl, 'customers', 'show', customerId);
    expect(text.out).toContain('available 34, reserved 6');
    expect(text.out).toMatch(/bonus\s+34\s+never expires/);
    const missing = await purse(p.databaseUrl, 'customers', 'show', uid('nobody'));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('not_found');
  });

  it('grants with a reason through the service: the balance, the ledger and the ledger check agree', async () => {
    const { customerId } = await seedCustomer(p, { credits: 10 });
    const granted = await purse(p.databaseUrl, 'grant', customerId, '25', '--reason', 'support ticket 42', '--source', 'adjustment');
    expect(granted.code).toBe(0);
    expect(granted.out).toContain(`now has 35 credits available`);
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body.available).toBe(35);
    const grantId = /as (grt_\S+?)[,:]/.exec(granted.out)![1]!;
    const entry = (await p.call('GET', `/v1/customers/${customerId}/ledger`)).body.data[0];
    expect(entry).toMatchObject({ type: 'grant', amount: 25, grantId, source: 'adjustment', reason: 'support ticket 42' });

    // Retried with the same idempotency key: granted once.
    const key = uid('idem');
    expect((await purse(p.databaseUrl, 'grant', customerId, '5', '--reason', 'retry', '--idempotency-key', key)).code).toBe(0);
    const again = await purse(p.databaseUrl, 'grant', customerId, '5', '--reason', 'retry', '--idempotency-key', key);
    expect(again.out).toContain('Already granted');
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body.available).toBe(40);

    expect((await purse(p.databaseUrl, 'ledger', 'check')).code).toBe(0);
  });

  it('refuses a grant without a reason, with a bad amount, or for an unknown customer, and changes nothing', async () => {
    const { customerId } = await seedCustomer(p, { credits: 10 });
    const cases: [string[], number, string][] = [
      [['grant', customerId, '5'], 2, 'reason'],
      [['grant', customerId, '5', '--reason', '   '], 2, 'reason'],
      [['grant', customerId, 'five', '--reason', 'x'], 2, 'amount'],
      [['grant', customerId, '0', '--reason', 'x'], 2, 'amount'],
      [['grant', customerId, '2.5', '--reason', 'x'], 2, 'amount'],
      [['grant', customerId, '5', '--reason', 'x', '--source', 'plan'], 2, 'source'],
      [['grant', customerId, '5', '--reason', 'x', '--expires-at', 'tomorrow'], 2, 'expires-at'],
      [['grant', uid('nobody'), '5', '--reason', 'x'], 1, 'not_found'],
    ];
    for (const [argv, code, says] of cases) {
      const res = await purse(p.databaseUrl, ...argv);
      expect(res.code, argv.join(' ')).toBe(code);
      expect(res.err, argv.join(' ')).toContain(says);
    }
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body.available).toBe(10);
    expect((await p.call('GET', `/v1/customers/${customerId}/ledger`)).body.data).toHaveLength(1);
  });

  it('voids a grant with a reason: what was left is taken back', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 10 });
    const grant = (await p.call('POST', `/v1/customers/${customerId}/grants`, { amount: 30, source: 'bonus', reason: 'promo', expiresAt: new Date(Date.now() + 86_400_000).toISOString() })).body;
    const gen = (await p.call('POST', '/v1/generations', { customerId, toolId, units: 4 })).body;
    await p.call('POST', `/v1/generations/${gen.id}/complete`, {});
    expect((await purse(p.databaseUrl, 'void', grant.id)).code).toBe(2);
    const voided = await purse(p.databaseUrl, 'void', grant.id, '--reason', 'promo abuse');
    expect(voided.code).toBe(0);
    expect(voided.out).toContain(`took back 26 credits`);
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body.available).toBe(10);
    const entry = (await p.call('GET', `/v1/customers/${customerId}/ledger`)).body.data[0];
    expect(entry).toMatchObject({ type: 'void', grantId: grant.id, availableDelta: -26, reason: 'promo abuse' });
    expect((await purse(p.databaseUrl, 'void', uid('grt'), '--reason', 'x')).code).toBe(1);
    expect((await purse(p.databaseUrl, 'ledger', 'check')).code).toBe(0);
  });

  it('distribute refuses SQLite and a PostgreSQL without Citus; on Citus it finds everything in place', async () => {
    const answer = await purse(p.databaseUrl, 'distribute');
    if (!ON_POSTGRES) {
      expect(answer).toMatchObject({ code: 1, err: expect.stringContaining('distribute needs PostgreSQL with Citus') });
    } else if (!process.env.PURSE_TEST_CITUS_WORKERS) {
      expect(answer).toMatchObject({ code: 1, err: expect.stringContaining('this database has no Citus extension') });
    } else {
      expect(answer).toMatchObject({ code: 0, out: expect.stringContaining('0 done now, 19 already in place.') });
    }
  });

  it('answers an unknown command or option with the usage and exit code 2', async () => {
    expect((await purse(p.databaseUrl, 'frobnicate')).code).toBe(2);
    expect((await purse(p.databaseUrl, 'customers', 'find', 'x', '--bogus')).code).toBe(2);
    expect((await purse(p.databaseUrl, 'ledger')).code).toBe(2);
    const help = await purse(p.databaseUrl, 'help');
    expect(help.out).toContain('catalog diff FILE');
  });
});

describe('purse migrate', () => {
  /** A database no Purse has opened yet. */
  async function emptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
    if (ON_POSTGRES) return createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'purse-migrate-'));
    return { url: `sqlite:${join(dir, 'purse.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }

  it('--status lists pending migrations without applying them; migrate applies them; --status then lists them applied', async () => {
    const db = await emptyDatabase();
    try {
      const known = loadMigrations(ON_POSTGRES ? 'postgres' : 'sqlite');
      const functions = loadRepeatable(ON_POSTGRES ? 'postgres' : 'sqlite');
      const before = await purse(db.url, 'migrate', '--status');
      expect(before.code).toBe(0);
      for (const m of known) expect(before.out).toContain(`pending  ${m.name}`);
      for (const f of functions) expect(before.out).toContain(`pending  function ${f.name}`);
      expect(before.out).toContain(`0 applied, ${known.length} pending.`);
      // Only looked: nothing was created.
      if (!ON_POSTGRES) expect(existsSync(db.url.slice('sqlite:'.length))).toBe(false);
      else {
        const store = await openStore(db.url, { migrate: false });
        expect(await store.appliedMigrations()).toEqual([]);
        await store.close();
      }

      const applied = await purse(db.url, 'migrate');
      expect(applied.code).toBe(0);
      for (const m of known) expect(applied.out).toContain(`applied ${m.name}`);

      const after = await purse(db.url, 'migrate', '--status', '--json');
      const status = JSON.parse(after.out);
      expect(status.applied.map((m: { name: string }) => m.name)).toEqual(known.map((m) => m.name));
      expect(status.pending).toEqual([]);
      expect(status.pendingFunctions).toEqual([]);
      expect((await purse(db.url, 'migrate')).out).toContain(`Nothing to apply: all ${known.length} migrations are applied.`);
    } finally {
      await db.drop();
    }
  });

  it('names a migration the database has applied that this build does not know', async () => {
    const db = await emptyDatabase();
    try {
      const store = await openStore(db.url);
      await store.close();
      const raw = await openStore(db.url, { migrate: false });
      // A newer Purse would have recorded this one.
      const insert = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future', 0)";
      if (raw.kind === 'sqlite') (raw as unknown as { db: { exec(s: string): void } }).db.exec(insert);
      else await (raw as unknown as { pool: { query(s: string): Promise<unknown> } }).pool.query(insert);
      await raw.close();
      const status = await purse(db.url, 'migrate', '--status');
      expect(status.out).toContain('9999_from_the_future');
      expect(status.out).toContain('unknown to this build');
    } finally {
      await db.drop();
    }
  });
});

describe.runIf(ON_POSTGRES)('purse migrate on PostgreSQL', () => {
  it('lists a function whose file changed as pending, and applies it again', async () => {
    const db = await createTestDatabase();
    try {
      const store = await openStore(db.url);
      await (store as unknown as { pool: { query(s: string): Promise<unknown> } }).pool.query("UPDATE schema_functions SET checksum = 'an older definition'");
      await store.close();
      const [f] = loadRepeatable('postgres');
      const status = await purse(db.url, 'migrate', '--status');
      expect(status.out).toContain(`pending  function ${f!.name}`);
      const applied = await purse(db.url, 'migrate');
      expect(applied.out).toContain(`applied function ${f!.name}`);
      expect(applied.code).toBe(0);
      expect((await purse(db.url, 'migrate', '--status')).out).not.toContain('pending  function');
    } finally {
      await db.drop();
    }
  });
});

describe('purse catalog', () => {
  it('diff shows what apply would change and changes nothing; apply makes it so and deactivates what the file dropped', async () => {
    // Its own database: apply deactivates every tool, plan and pack the file does not name.
    const q = await startTestPurse();
    try {
      const [kept, changed, dropped] = [uid('tool'), uid('tool'), uid('tool')];
      const plan = uid('plan');
      for (const id of [kept, changed, dropped]) await q.call('PUT', `/v1/tools/${id}`, { name: id, credits: 2, unit: 'image' });
      await q.call('PUT', `/v1/plans/${plan}`, { name: 'Plan', creditsPerPeriod: 100, price: { amount: 900, currency: 'usd' } });
      const added = uid('tool');
      const file = join(q.dir, 'catalog.json');
      writeFileSync(file, JSON.stringify({
        tools: {
          [kept]: { name: kept, credits: 2, unit: 'image' },
          [changed]: { name: changed, credits: 5, unit: 'image', holdSeconds: 600 },
          [added]: { name: 'New', credits: 7 },
        },
        plans: { [plan]: { name: 'Plan', creditsPerPeriod: 100, price: { currency: 'usd', amount: 900 } } },
      }));

      const diff = await purse(q.databaseUrl, 'catalog', 'diff', file, '--json');
      expect(diff.code).toBe(0);
      const changes = JSON.parse(diff.out).changes;
      expect(changes).toEqual([
        { kind: 'tool', id: changed, action: 'update', fields: [{ field: 'credits', from: 2, to: 5 }, { field: 'holdSeconds', from: 900, to: 600 }] },
        { kind: 'tool', id: added, action: 'create', fields: expect.arrayContaining([{ field: 'credits', from: null, to: 7 }]) },
        { kind: 'tool', id: dropped, action: 'deactivate', fields: [{ field: 'active', from: true, to: false }] },
      ]);
      const text = await purse(q.databaseUrl, 'catalog', 'diff', file);
      expect(text.out).toContain(`~ tool ${changed}: credits 2 → 5, holdSeconds 900 → 600`);
      expect(text.out).toContain(`+ tool ${added}:`);
      expect(text.out).toContain(`- tool ${dropped}: deactivated`);
      // diff only looks.
      expect((await q.call('GET', `/v1/tools/${changed}`)).body.credits).toBe(2);
      expect((await q.call('GET', `/v1/tools/${added}`)).status).toBe(404);

      const applied = await purse(q.databaseUrl, 'catalog', 'apply', file);
      expect(applied.code).toBe(0);
      expect(applied.out).toContain('Applied 3 changes.');
      expect((await q.call('GET', `/v1/tools/${changed}`)).body).toMatchObject({ credits: 5, holdSeconds: 600, active: true });
      expect((await q.call('GET', `/v1/tools/${added}`)).body).toMatchObject({ credits: 7, unit: 'generation', active: true });
      // Deactivated, never deleted: still readable, no longer offered or reservable.
      expect((await q.call('GET', `/v1/tools/${dropped}`)).body).toMatchObject({ id: dropped, active: false });
      const pricing = (await q.call('GET', '/v1/pricing', undefined, { auth: null })).body;
      expect(pricing.tools.map((t: { id: string }) => t.id).sort()).toEqual([kept, changed, added].sort());
      // The untouched tool's price history has one entry: an unchanged item is not written again.
      expect((await q.call('GET', `/v1/tools/${kept}/prices`)).body.data).toHaveLength(1);
      expect((await purse(q.databaseUrl, 'catalog', 'diff', file)).out).toContain('already matches');

      const { customerId } = await seedCustomer(q, { credits: 10 });
      expect((await q.call('POST', '/v1/generations', { customerId, toolId: dropped })).status).toBe(404);
    } finally {
      await q.close();
    }
  });

  it('refuses a file that is not a catalog, and a plan that would change its period, before writing anything', async () => {
    const q = await startTestPurse();
    try {
      const plan = uid('plan');
      await q.call('PUT', `/v1/plans/${plan}`, { name: 'Plan', creditsPerPeriod: 100, price: { amount: 900, currency: 'usd' } });
      const tool = uid('tool');
      const file = join(q.dir, 'catalog.json');
      writeFileSync(file, JSON.stringify({ tools: { [tool]: { name: 'T', credits: -1 } } }));
      const bad = await purse(q.databaseUrl, 'catalog', 'apply', file);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain(`tools.${tool}.credits`);
      writeFileSync(file, JSON.stringify({ tools: { [tool]: { name: 'T', credits: 1 } }, plans: { [plan]: { name: 'Plan', creditsPerPeriod: 100, period: 'year', price: { amount: 900, currency: 'usd' } } } }));
      const period = await purse(q.databaseUrl, 'catalog', 'apply', file);
      expect(period.code).toBe(2);
      expect(period.err).toContain(`plans.${plan}.period`);
      expect((await q.call('GET', `/v1/tools/${tool}`)).status).toBe(404);
    } finally {
      await q.close();
    }
  });
});
