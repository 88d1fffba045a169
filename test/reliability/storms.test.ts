import { afterAll, describe, expect, it } from 'vitest';
import type { PurseProcess } from '../process.js';
import { call, must, openBooks, PUT_OK, seedCatalog, sized, startServer, STORES, violations, type Answer } from './harness.js';

/*
 * Duplicate storms: the same reservation, settlement, grant and purchase sent by
 * ten clients at once (on PostgreSQL, spread over two server processes) make
 * exactly one, and every client gets the same answer.
 */

const ROUNDS = sized(20, 100);
const CLIENTS = 10;

describe.each(STORES)('duplicate storms on $name', (kind) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
  });

  it(`make exactly one of each, ${ROUNDS} rounds of ${CLIENTS} clients`, async () => {
    const db = await kind.create();
    cleanup.push(db.drop);
    const servers: PurseProcess[] = [await startServer(db.url)];
    if (kind.name === 'postgres') servers.push(await startServer(db.url));
    for (const s of servers) cleanup.push(() => s.stop());
    const base = servers[0]!.url;
    await seedCatalog(base);
    const books = await openBooks(db.url);
    cleanup.push(() => books.close());

    const problems: string[] = [];
    const storm = async (what: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
      const answers = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => call(servers[i % servers.length]!.url, method, path, body, headers)));
      const first = answers[0]!;
      if (first.status >= 300) problems.push(`${what}: ${first.status} ${JSON.stringify(first.body)}`);
      for (const a of answers) {
        if (a.status !== first.status || JSON.stringify(a.body) !== JSON.stringify(first.body)) {
          problems.push(`${what}: clients got different answers: ${first.status} ${JSON.stringify(first.body).slice(0, 120)} vs ${a.status} ${JSON.stringify(a.body).slice(0, 120)}`);
          break;
        }
      }
      return first;
    };

    let requests = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const c = `storm_${round}`;
      await must(base, 'PUT', `/v1/customers/${c}`, { name: c }, PUT_OK);
      const grant = await storm('grant', 'POST', `/v1/customers/${c}/grants`, { amount: 40, source: 'bonus', reason: 'storm' }, { 'idempotency-key': `storm-grant-${round}` });
      const purchase = await storm('purchase', 'POST', `/v1/customers/${c}/purchases`, { packId: 'rel-pack' }, { 'idempotency-key': `storm-buy-${round}` });
      const gen = await storm('reserve', 'POST', '/v1/generations', { id: `storm-gen-${round}`, customerId: c, toolId: 'rel-image', units: 2 });
      await storm('complete', 'POST', `/v1/generations/storm-gen-${round}/complete`, { units: 1 });
      requests += 4 * CLIENTS;

      const b = await books.read();
      const grants = [...b.grants.values()].filter((g) => g.customerId === c);
      const mine = [...b.generations.values()].filter((g) => g.customerId === c);
      const purchases = b.purchases.filter((p) => p.customerId === c);
      if (grants.filter((g) => g.source === 'bonus').length !== 1) problems.push(`round ${round}: ${grants.filter((g) => g.source === 'bonus').length} bonus grants`);
      if (grants.filter((g) => g.source === 'addon').length !== 1 || purchases.length !== 1) problems.push(`round ${round}: ${purchases.length} purchases, ${grants.filter((g) => g.source === 'addon').length} add-on grants`);
      if (mine.length !== 1 || mine[0]!.status !== 'completed' || mine[0]!.charged !== 3) problems.push(`round ${round}: generations ${JSON.stringify(mine)}`);
      const bal = await must(base, 'GET', `/v1/customers/${c}/balance`, undefined, 200);
      if (bal.available !== 40 + 50 - 3 || bal.reserved !== 0) problems.push(`round ${round}: balance ${bal.available}/${bal.reserved}, expected 87/0`);
      if (grant.body.id === undefined || purchase.body.id === undefined || gen.body.id !== `storm-gen-${round}`) problems.push(`round ${round}: answers without ids`);
      for (const p of violations(b)) problems.push(`round ${round}: ${p}`);
      if (problems.length > 0) break;
    }
    const audit = await books.audit();
    problems.push(...audit.problems);
    console.log(`[reliability] storms ${kind.name} (${servers.length} processes): ${ROUNDS} rounds, ${requests} requests, ${problems.length} violations`);
    expect(problems.slice(0, 20)).toEqual([]);
  });
});
