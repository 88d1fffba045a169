import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCatalogFile, CatalogFileError, diffCatalog, readCatalogFile, readCurrentCatalog } from '../src/catalog-file.js';
import { DEMO_CATALOG_PATH, DEMO_CUSTOMER_ID } from '../src/demo.js';
import { startTestPurse, type TestPurse } from './helpers.js';

let p: TestPurse & { dir: string };
beforeAll(async () => {
  p = await startTestPurse({ demo: true, catalogPath: DEMO_CATALOG_PATH });
});
afterAll(async () => p.close());

describe('the catalog as code', () => {
  it('loads the demo catalog: pricing lists its plans, packs and tools', async () => {
    const pricing = (await p.call('GET', '/v1/pricing', undefined, { auth: null })).body;
    const file = readCatalogFile(DEMO_CATALOG_PATH);
    expect(pricing.plans.map((x: any) => x.id).sort()).toEqual(Object.keys(file.plans).sort());
    expect(pricing.packs.map((x: any) => x.id).sort()).toEqual(Object.keys(file.packs).sort());
    expect(pricing.tools.map((x: any) => x.id).sort()).toEqual(Object.keys(file.tools).sort());
    expect(pricing.plans.find((x: any) => x.id === 'pro')).toMatchObject({ creditsPerPeriod: 500, rollover: { max: 100 }, price: { amount: 2900, currency: 'usd' } });
  });

  it('gives the demo customer a Pro subscription and welcome credits', async () => {
    const balance = (await p.call('GET', `/v1/customers/${DEMO_CUSTOMER_ID}/balance`)).body;
    expect(balance.available).toBe(550);
    expect(balance.subscription).toMatchObject({ planId: 'pro', status: 'active' });
    expect(balance.breakdown.map((l: any) => l.source)).toEqual(['plan', 'bonus']);
  });

  it('takes exactly the shapes the API takes, and names what is wrong', () => {
    const bad = join(p.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ tools: { t: { name: 'T', credits: -1 } } }));
    expect(() => readCatalogFile(bad)).toThrow(CatalogFileError);
    expect(() => readCatalogFile(bad)).toThrow(/tools\.t\.credits/);
    writeFileSync(bad, JSON.stringify({ plans: { p: { name: 'P', creditsPerPeriod: 10, price: { amount: 1, currency: 'USD' } } } }));
    expect(() => readCatalogFile(bad)).toThrow(/plans\.p\.price\.currency/);
    writeFileSync(bad, JSON.stringify({ packz: {} }));
    expect(() => readCatalogFile(bad)).toThrow(CatalogFileError);
    writeFileSync(bad, JSON.stringify({ plans: { p: { name: 'P', creditsPerPeriod: 10, price: { amount: 1, currency: 'usd' }, limits: { daily: 0 } } } }));
    expect(() => readCatalogFile(bad)).toThrow(/plans\.p\.limits\.daily/);
  });

  it("declares a plan's spend limits: applied once, then nothing left to change; a changed limit is a diff", async () => {
    const file = readCatalogFile(DEMO_CATALOG_PATH);
    const capped = { ...file, plans: { ...file.plans, capped: { name: 'Capped', creditsPerPeriod: 10, price: { amount: 100, currency: 'usd' }, limits: { daily: 50, tools: { video: { monthly: 200 } } } } } };
    await applyCatalogFile(p.ctx, capped);
    expect((await p.call('GET', '/v1/plans')).body.data.find((x: any) => x.id === 'capped').limits).toEqual({ daily: 50, tools: { video: { monthly: 200 } } });
    expect(diffCatalog(await readCurrentCatalog(p.ctx), capped)).toEqual([]);
    const raised = { ...capped, plans: { ...capped.plans, capped: { ...capped.plans.capped, limits: { daily: 80 } } } };
    expect(diffCatalog(await readCurrentCatalog(p.ctx), raised)).toEqual([
      { kind: 'plan', id: 'capped', action: 'update', fields: [{ field: 'limits', from: { daily: 50, tools: { video: { monthly: 200 } } }, to: { daily: 80 } }] },
    ]);
  });
});
