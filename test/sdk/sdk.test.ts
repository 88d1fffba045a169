import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Purse, PurseError } from '../../sdk/src/index.js';
import { startTestPurse, TEST_API_KEY, uid, type TestPurse } from '../helpers.js';

let server: TestPurse;
let purse: Purse;

async function listen(p: TestPurse): Promise<string> {
  await p.app.listen({ port: 0, host: '127.0.0.1' });
  const address = p.app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

async function seed(client: Purse, credits: number, toolCredits: number, holdSeconds?: number) {
  const customerId = uid('sdk');
  const toolId = uid('tool');
  await client.putTool(toolId, { name: 'Tool', credits: toolCredits, ...(holdSeconds ? { holdSeconds } : {}) });
  await client.putCustomer(customerId, { name: 'SDK' });
  await client.grant(customerId, { amount: credits, source: 'bonus', reason: 'sdk test' });
  return { customerId, toolId };
}

beforeAll(async () => {
  server = await startTestPurse();
  purse = new Purse({ baseUrl: await listen(server), apiKey: TEST_API_KEY });
});
afterAll(async () => server.close());

describe('the SDK against a real server', () => {
  it('generate charges the cost of a successful job and returns its result', async () => {
    const { customerId, toolId } = await seed(purse, 50, 4);
    const { generation, result } = await purse.generate(customerId, toolId, async ({ generation }) => `image for ${generation.id}`, { units: 3 });
    expect(result).toBe(`image for ${generation.id}`);
    expect(generation).toMatchObject({ status: 'completed', charged: 12 });
    expect((await purse.balance(customerId)).available).toBe(38);
  });

  it('charges fewer units when the job says so', async () => {
    const { customerId, toolId } = await seed(purse, 50, 4);
    const { generation } = await purse.generate(customerId, toolId, async () => ({ value: 'two images', units: 2 }), { units: 5 });
    expect(generation).toMatchObject({ chargedUnits: 2, charged: 8 });
    expect((await purse.balance(customerId)).available).toBe(42);
  });

  it('fails the generation, returns the credits and rethrows the same error when the job throws', async () => {
    const { customerId, toolId } = await seed(purse, 50, 4);
    const boom = new Error('the model ran out of memory');
    let reserved = 0;
    const caught = await purse
      .generate(customerId, toolId, async () => {
        reserved = (await purse.balance(customerId)).reserved;
        throw boom;
      })
      .catch((e: unknown) => e);
    expect(caught).toBe(boom);
    expect(reserved).toBe(4);
    expect(await purse.balance(customerId)).toMatchObject({ available: 50, reserved: 0 });
    const [gen] = (await purse.listGenerations(customerId)).data;
    expect(gen).toMatchObject({ status: 'failed', failureReason: 'the model ran out of memory' });
  });

  it('refuses before the job runs when credits are short', async () => {
    const { customerId, toolId } = await seed(purse, 3, 4);
    let ran = false;
    const err = await purse.generate(customerId, toolId, async () => (ran = true)).catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(err).toBeInstanceOf(PurseError);
    expect(err).toMatchObject({ status: 402, code: 'insufficient_credits', details: { available: 3, required: 4 } });
  });

  it('keeps extending the hold while a slow job runs', async () => {
    // The real clock and a fast sweep: without extensions the 2-second hold would time out.
    const live = await startTestPurse({ testClock: false, sweepSeconds: 0.2 });
    try {
      const client = new Purse({ baseUrl: await listen(live), apiKey: TEST_API_KEY });
      const { customerId, toolId } = await seed(client, 10, 1, 2);
      const { generation } = await client.generate(customerId, toolId, () => new Promise((r) => setTimeout(() => r('done'), 3500)), {
        holdSeconds: 2,
        extendEverySeconds: 0.5,
      });
      expect(generation.status).toBe('completed');
      expect((await client.balance(customerId)).available).toBe(9);
    } finally {
      await live.close();
    }
  });

  it('pages through the whole ledger', async () => {
    const { customerId, toolId } = await seed(purse, 100, 1);
    for (let i = 0; i < 12; i++) await purse.generate(customerId, toolId, async () => i);
    const entries = [];
    for await (const e of purse.ledgerEntries(customerId, 5)) entries.push(e);
    // 1 grant + 12 × (reserve + charge).
    expect(entries).toHaveLength(25);
    expect(new Set(entries.map((e) => e.id)).size).toBe(25);
    expect(entries.at(-1)!.type).toBe('grant');
  });

  it('retries a reservation safely: the same id creates one generation', async () => {
    const { customerId, toolId } = await seed(purse, 10, 1);
    const id = uid('gen');
    const a = await purse.reserve({ id, customerId, toolId });
    const b = await purse.reserve({ id, customerId, toolId });
    expect(b).toEqual(a);
    expect((await purse.balance(customerId)).reserved).toBe(1);
  });
});
