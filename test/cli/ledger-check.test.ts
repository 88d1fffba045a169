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
});
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

  it('fails and names the grant when a balance is changed behind the ledger', async () => {
    const grant = (await p.ctx.store.listGrants(customerId)).find((g) => g.source === 'bonus')!;
    await corrupt('UPDATE grants SET remaining = remaining + 1 WHERE id = $1', [grant.id]);
    const { code, out } = await ledgerCheck(databaseUrl);
    expect(code).toBe(1);
    expect(out).toContain(`MISMATCH grant ${grant.id}`);
  });
});
