import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../../src/service/clock.js';
import { putTool } from '../../src/service/catalog.js';
import { getBalance, putCustomer } from '../../src/service/customers.js';
import { reserve } from '../../src/service/generations.js';
import { grantCredits } from '../../src/service/grants.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

let dir: string;
let a: SqliteStore;
let b: SqliteStore;
const clock = new TestClock();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'purse-tools-'));
  a = new SqliteStore(join(dir, 'purse.db'));
  await a.migrate();
  // A second process on the same file.
  b = new SqliteStore(join(dir, 'purse.db'));
});
afterAll(async () => {
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("SQLite's tools kept in memory", () => {
  it("answers a tool's new price once this process or another has changed it", async () => {
    expect(await a.getTool('t')).toBeNull();
    await putTool({ store: b, clock }, 't', { name: 'T', credits: 3 });
    expect((await a.getTool('t'))?.credits).toBe(3);
    expect((await a.getTool('t'))?.credits).toBe(3);
    await putTool({ store: a, clock }, 't', { name: 'T', credits: 4 });
    expect((await a.getTool('t'))?.credits).toBe(4);
    await putTool({ store: b, clock }, 't', { name: 'T', credits: 5, active: false });
    const tool = await a.getTool('t');
    expect([tool?.credits, tool?.active]).toEqual([5, false]);
  });

  it('gives each caller its own copy', async () => {
    await putTool({ store: a, clock }, 'u', { name: 'U', credits: 1 });
    const first = (await a.getTool('u'))!;
    first.credits = 99;
    expect((await a.getTool('u'))?.credits).toBe(1);
  });

  it('a reservation is charged the price another process set, at once', async () => {
    const ctxA = { store: a, clock };
    await putTool(ctxA, 'v', { name: 'V', credits: 2 });
    await putCustomer(ctxA, 'c1', {});
    await grantCredits(ctxA, 'c1', { amount: 100, source: 'bonus', reason: 'test' });
    expect((await reserve(ctxA, { customerId: 'c1', toolId: 'v' })).body.cost).toBe(2);
    await putTool({ store: b, clock }, 'v', { name: 'V', credits: 6 });
    expect((await reserve(ctxA, { customerId: 'c1', toolId: 'v' })).body.cost).toBe(6);
    await putTool({ store: b, clock }, 'v', { name: 'V', credits: 6, active: false });
    await expect(reserve(ctxA, { customerId: 'c1', toolId: 'v' })).rejects.toMatchObject({ code: 'not_found' });
    expect((await getBalance(ctxA, 'c1')).available).toBe(92);
  });
});

