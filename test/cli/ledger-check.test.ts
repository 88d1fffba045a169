import Database from 'better-sqlite3';
import pg from 'pg';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCustomer, startTestPurse } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

async function ledgerCheck(databaseUrl: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'ledger-check'], {
      cwd: ROOT,
      env: { ...process.env, PURSE_DATABASE_URL: databaseUrl },
    });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}

let p: Awaited<ReturnType<typeof startTestPurse>>;
let databaseUrl: string;
let customerId: string;
/** A customer who paid: a pack of 3 credits for 1000 cents, one credit spent (333 recognised). */
let payer: string;

/** Changes a balance behind the ledger's back, as a bad migration or a hand edit would. */
async function corrupt(sql: string, params: unknown[]): Promise<void> {
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Database(databaseUrl.slice('sqlite:'.length));
    db.prepare(sql.replace(/\$\d/g, '?')).run(...params);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(sql, params);
  await client.end();
}

beforeAll(async () => {
  p = await startTestPurse();
  databaseUrl = p.databaseUrl;
  // A little of everything: grants, a completed, a partially completed, a failed, a timed-out and a refunded generation, a void.
  ({ customerId } = await seedCustomer(p, { credits: 100, toolCredits: 3, holdSeconds: 30 }));
  const toolId = (await p.ctx.store.listTools())[0]!.id;
  const extra = await p.call('POST', `/v1/customers/${customerId}/grants`, { amount: 20, source: 'adjustment', reason: 'fix' });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await p.call('POST', '/v1/generations', { customerId, toolId, units: 2 })).body.id);
  await p.call('POST', `/v1/generations/${ids[0]}/complete`, {});
  await p.call('POST', `/v1/generations/${ids[1]}/complete`, { units: 1 });
  await p.call('POST', `/v1/generations/${ids[2]}/fail`, {});
  await p.call('POST', `/v1/generations/${ids[0]}/refund`, { reason: 'bad output', amount: 2 });
  await p.call('POST', `/v1/grants/${extra.body.id}/void`, { reason: 'mistake' });
  await p.call('POST', '/v1/test-clock', { advanceSeconds: 31 });
  payer = `payer_${customerId}`;
  await p.call('PUT', `/v1/customers/${payer}`, {});
  await p.call('PUT', `/v1/packs/three-${customerId}`, { name: 'Three', credits: 3, price: { amount: 1000, currency: 'usd' } });
  await p.call('POST', `/v1/customers/${payer}/purchases`, { packId: `three-${customerId}` });
  await p.call('PUT', `/v1/tools/one-${customerId}`, { name: 'One', credits: 1 });
  const spent = (await p.call('POST', '/v1/generations', { customerId: payer, toolId: `one-${customerId}`, units: 1 })).body.id;
  await p.call('POST', `/v1/generations/${spent}/complete`, { units: 1 });
});

/** Runs `sql` with the ledger's append-only guard lifted, as a hand edit by someone determined would. */
async function corruptLedger(sql: string, params: unknown[]): Promise<void> {
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Database(databaseUrl.slice('sqlite:'.length));
    const guard = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'ledger_entries_no_update'").get() as { sql: string };
    db.exec('DROP TRIGGER ledger_entries_no_update');
    db.prepare(sql.replace(/\$\d/g, '?')).run(...params);
    db.exec(guard.sql);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only');
  await client.query(sql, params);
  await client.query('ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only');
  await client.end();
}
afterAll(async () => p.close());

describe('the ledger check', () => {
  it('finds every balance equal to its ledger', async () => {
    const report = await p.ctx.store.audit();
    expect(report.problems).toEqual([]);
    expect(report.entries).toBeGreaterThan(10);
    const { code, out } = await ledgerCheck(databaseUrl);
    expect(code).toBe(0);
    expect(out).toContain('Every balance equals its ledger.');
  });

  it('balances the money of a paid customer to the cent', async () => {
    const grant = (await p.ctx.store.listGrants(payer))[0]!;
    expect(grant).toMatchObject({ paid: 1000, currency: 'usd', consumed: 1 });
    const entries = await p.ctx.store.listLedger(payer, { limit: 10 });
    expect(entries.find((e) => e.type === 'charge')!.money).toBe(333);
    expect((await p.ctx.store.audit()).problems).toEqual([]);
  });

  it('fails and names the customer when a cent is invented in what was paid', async () => {
    const grant = (await p.ctx.store.listGrants(payer))[0]!;
    await corrupt('UPDATE grants SET paid = paid + 1 WHERE id = $1', [grant.id]);
    try {
      const { code, out } = await ledgerCheck(databaseUrl);
      expect(code).toBe(1);
      expect(out).toContain(`MISMATCH grant ${grant.id} of ${payer}: paid 1001, its grant entry says 1000`);
      expect(out).toContain(`MISMATCH customer ${payer}, usd: paid in 1000 ≠ revenue 333 + breakage 0 + refunds 0 + deferred 668`);
    } finally {
      await corrupt('UPDATE grants SET paid = paid - 1 WHERE id = $1', [grant.id]);
    }
  });

  it('fails and names the customer when a cent of recognised revenue is lost', async () => {
    const charge = (await p.ctx.store.listLedger(payer, { limit: 10 })).find((e) => e.type === 'charge')!;
    await corruptLedger('UPDATE ledger_entries SET money = money - 1 WHERE id = $1 AND customer_id = $2', [charge.id, payer]);
    try {
      const { code, out } = await ledgerCheck(databaseUrl);
      expect(code).toBe(1);
      expect(out).toContain(`of ${payer}: entries moved 332 of its money, its basis says 333 for 1 credits consumed`);
      expect(out).toContain(`MISMATCH customer ${payer}, usd: paid in 1000 ≠ revenue 332 + breakage 0 + refunds 0 + deferred 667`);
    } finally {
      await corruptLedger('UPDATE ledger_entries SET money = money + 1 WHERE id = $1 AND customer_id = $2', [charge.id, payer]);
    }
    expect((await p.ctx.store.audit()).problems).toEqual([]);
  });

  it('fails when a hold moves money, and when consumed credits drift from the ledger', async () => {
    const reserve = (await p.ctx.store.listLedger(payer, { limit: 10 })).find((e) => e.type === 'reserve')!;
    await corruptLedger('UPDATE ledger_entries SET money = 5 WHERE id = $1 AND customer_id = $2', [reserve.id, payer]);
    try {
      expect((await p.ctx.store.audit()).problems).toEqual([expect.stringContaining(`ledger entry ${reserve.id} of ${payer} (reserve 1) moves money 5`)]);
    } finally {
      await corruptLedger('UPDATE ledger_entries SET money = 0 WHERE id = $1 AND customer_id = $2', [reserve.id, payer]);
    }
    const grant = (await p.ctx.store.listGrants(payer))[0]!;
    await corrupt('UPDATE grants SET consumed = 3 WHERE id = $1', [grant.id]);
    try {
      const problems = (await p.ctx.store.audit()).problems;
      expect(problems).toContain(`grant ${grant.id} of ${payer}: consumed 3, ledger says 1`);
      expect(problems.some((x) => x.startsWith(`customer ${payer}, usd:`))).toBe(true);
    } finally {
      await corrupt('UPDATE grants SET consumed = 1 WHERE id = $1', [grant.id]);
    }
  });

  it('fails and names the grant when a balance is changed behind the ledger', async () => {
    const grant = (await p.ctx.store.listGrants(customerId)).find((g) => g.source === 'bonus')!;
    await corrupt('UPDATE grants SET remaining = remaining + 1 WHERE id = $1', [grant.id]);
    const { code, out } = await ledgerCheck(databaseUrl);
    expect(code).toBe(1);
    expect(out).toContain(`MISMATCH grant ${grant.id}`);
  });
});
