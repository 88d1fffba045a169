import { afterAll, describe, expect, it } from 'vitest';
import { call, must, NoAnswer, openBooks, PUT_OK, rng, SEED, seedCatalog, sized, startServer, STORES, TOOLS, violations, type Answer, type Books } from './harness.js';

/*
 * The bank check: 64 workers spend, grant, fail, refund, void, buy and race
 * settlements across 50 customers through the real server in its own process,
 * while the test clock runs billing periods, expiries and hold timeouts. A
 * monitor reads the books from the database all along; at every moment and at the
 * end, granted = available + reserved + spent + expired + voided, nothing is
 * negative, and no generation is settled twice. A third of the customers have
 * spend limits (a plan's, their own, or both, field by field): no window ever
 * counts more than its limit, the counters are what the ledger says, and no
 * customer holds more generations than its cap.
 * Some customers have auto top-up: the server's worker pays their top-ups while
 * the storm runs; at no moment has a customer two top-ups pending, each
 * crossing's top-up exists once, no month has more than the limit, and every
 * paid top-up granted once.
 */

const WORKERS = 64;
const CUSTOMERS = 50;
const SECONDS = sized(15, 60);
/**
 * Customers bank_15 … bank_24 (capped by the plan's limits or their own) and bank_40 … bank_49 (no limits) top up
 * 50 credits below 30, at most this many times a month. The uncapped half spends freely, so every run crosses the
 * threshold whatever the hour: the capped customers alone are held above it by their daily limits on some runs.
 */
const TOP_UP = { threshold: 30, monthlyPurchases: 6 };

type Caps = { daily?: number; monthly?: number; maxInFlight?: number; tools?: Record<string, { daily?: number; monthly?: number }> };
/** The limits of the capped plan, and the customers' own. */
const PLAN_LIMITS: Caps = { daily: 90, monthly: 600, maxInFlight: 4, tools: { 'rel-video': { daily: 40 } } };
const OWN_LIMITS: Caps = { daily: 50, monthly: 300, maxInFlight: 3, tools: { 'rel-image': { daily: 20 } } };
const OVERRIDE: Caps = { daily: 40 };
/** Which limits apply to customer i: 10–19 the plan's, 20–29 their own, 30–34 their own daily over the plan's. */
function capsOf(i: number): Caps | null {
  if (i >= 10 && i < 20) return PLAN_LIMITS;
  if (i >= 20 && i < 30) return OWN_LIMITS;
  if (i >= 30 && i < 35) return { ...PLAN_LIMITS, ...OVERRIDE };
  return null;
}

/** Every window that counted more than its limit, and every customer holding more than its cap. */
function limitViolations(b: Books, customers: string[]): string[] {
  const out: string[] = [];
  customers.forEach((c, i) => {
    const caps = capsOf(i);
    if (!caps) return;
    const held = b.limits.inFlight.get(c)?.reserved ?? 0;
    if (caps.maxInFlight !== undefined && held > caps.maxInFlight) out.push(`${c} holds ${held} generations, cap ${caps.maxInFlight}`);
    for (const [key, used] of b.limits.derived) {
      if (!key.startsWith(`${c}:`)) continue;
      const [, scope, tool, window] = key.split(':') as [string, string, string, 'day' | 'month'];
      const cap = scope === 'customer' ? caps[window === 'day' ? 'daily' : 'monthly'] : caps.tools?.[tool]?.[window === 'day' ? 'daily' : 'monthly'];
      if (cap !== undefined && used > cap) out.push(`${c}: window ${key} counted ${used}, limit ${cap}`);
    }
  });
  return out;
}

describe.each(STORES)('bank check on $name', (kind) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
  });

  it(`keeps the books for ${SECONDS} s of ${WORKERS} workers on ${CUSTOMERS} customers`, async () => {
    const db = await kind.create();
    cleanup.push(db.drop);
    const server = await startServer(db.url, { PURSE_AUTO_TOP_UP_POLL_MS: '100', PURSE_AUTO_TOP_UP_COOLDOWN_SECONDS: '0' });
    cleanup.push(() => server.stop());
    const base = server.url;
    await seedCatalog(base);
    const customers = Array.from({ length: CUSTOMERS }, (_, i) => `bank_${i}`);

    // What the server acknowledged, as the clients saw it.
    const grantsAcked = new Map<string, number>();
    const gens = new Map<string, { cost: number; completed?: boolean; failed?: boolean; refunded?: boolean; customerId: string }>();
    const refused = new Set<string>();
    const purchasesAcked = new Set<string>();
    const problems: string[] = [];
    const counts: Record<string, number> = {};
    const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);

    for (const c of customers) {
      await must(base, 'PUT', `/v1/customers/${c}`, { name: c, email: `${c}@example.com` }, PUT_OK);
      const g = await must(base, 'POST', `/v1/customers/${c}/grants`, { amount: 100, source: 'bonus', reason: 'opening balance' }, 201);
      grantsAcked.set(g.id, 100);
    }
    for (const c of customers.slice(0, 10)) await must(base, 'PUT', `/v1/customers/${c}/subscription`, { planId: 'rel-daily' }, PUT_OK);
    await must(base, 'PUT', '/v1/plans/rel-capped', { name: 'Capped', creditsPerPeriod: 60, period: 'day', price: { amount: 100, currency: 'usd' }, limits: PLAN_LIMITS }, PUT_OK);
    for (const c of [...customers.slice(10, 20), ...customers.slice(30, 35)]) await must(base, 'PUT', `/v1/customers/${c}/subscription`, { planId: 'rel-capped' }, PUT_OK);
    for (const c of customers.slice(20, 30)) await must(base, 'PUT', `/v1/customers/${c}/limits`, { ...OWN_LIMITS, reason: 'bank check' }, 200);
    for (const c of customers.slice(30, 35)) await must(base, 'PUT', `/v1/customers/${c}/limits`, OVERRIDE, 200);
    const capped = new Set(customers.filter((_, i) => capsOf(i) !== null));
    const toppedUp = [...customers.slice(15, 25), ...customers.slice(40, 50)];
    const topUpBody = (enabled: boolean) => ({ enabled, threshold: TOP_UP.threshold, packId: 'rel-pack', monthlyLimit: { purchases: TOP_UP.monthlyPurchases }, reason: 'bank check' });
    for (const c of toppedUp) await must(base, 'PUT', `/v1/customers/${c}/auto-top-up`, topUpBody(true), 200);
    let clockNow = Date.parse((await must(base, 'GET', '/v1/test-clock', undefined, 200)).now);

    /** Records anything but the answers an operation may give. */
    const expect_ = (what: string, res: Answer, allowed: number[]) => {
      if (!allowed.includes(res.status)) problems.push(`${what} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
      return res;
    };
    const guarded = async (what: string, f: () => Promise<void>) => {
      try {
        await f();
      } catch (err) {
        problems.push(`${what}: ${err instanceof NoAnswer ? 'no answer' : 'error'} ${(err as Error).message}`);
      }
    };

    const deadline = Date.now() + SECONDS * 1000;
    let genSeq = 0;

    const settle = async (id: string, how: 'complete' | 'fail' | 'race', units: number) => {
      const g = gens.get(id)!;
      const complete = () => call(base, 'POST', `/v1/generations/${id}/complete`, { units });
      const fail = () => call(base, 'POST', `/v1/generations/${id}/fail`, { reason: 'worker failed' });
      if (how === 'race') {
        const [a, b] = await Promise.all([complete(), fail()]);
        expect_('racing complete', a, [200, 409]);
        expect_('racing fail', b, [200, 409]);
        if (a.status === 200 && b.status === 200) problems.push(`generation ${id} was both completed and failed`);
        if (a.status === 200) g.completed = true;
        if (b.status === 200) g.failed = true;
        count('race');
        return;
      }
      const res = expect_(how, await (how === 'complete' ? complete() : fail()), [200, 409]);
      if (res.status === 200) {
        if (how === 'complete') g.completed = true;
        else g.failed = true;
      } else if (res.body?.error?.code !== 'generation_settled') problems.push(`${how} ${id}: 409 ${JSON.stringify(res.body)}`);
      count(how);
    };

    const worker = async (w: number) => {
      const r = rng(SEED * 131 + w);
      const mine: string[] = [];
      while (Date.now() < deadline) {
        const c = r.pick(customers);
        const x = r.next();
        await guarded(`worker ${w}`, async () => {
          if (x < 0.7) {
            const id = `bank-${w}-${genSeq++}`;
            const units = r.int(1, 3);
            const res = expect_('reserve', await call(base, 'POST', '/v1/generations', { id, customerId: c, toolId: r.pick(TOOLS), units }), [201, 402, 429]);
            count('reserve');
            if (res.status !== 201) {
              const code = res.body?.error?.code;
              // A limit refuses only a customer that has one; a 429 is only the in-flight cap.
              if ((code === 'spend_limit_reached' || code === 'too_many_in_flight') && !capped.has(c)) problems.push(`${c} has no limits but was refused ${code}`);
              if (res.status === 429 && code !== 'too_many_in_flight') problems.push(`reserve 429 ${JSON.stringify(res.body)}`);
              if (code === 'spend_limit_reached') {
                const d = res.body.error.details;
                if (!(d.used + d.required > d.limit)) problems.push(`spend_limit_reached that fits: ${JSON.stringify(d)}`);
              }
              count(code ?? String(res.status));
              refused.add(id);
              return;
            }
            gens.set(id, { cost: res.body.cost, customerId: c });
            mine.push(id);
            if (r.chance(0.05)) expect_('extend', await call(base, 'POST', `/v1/generations/${id}/extend`, { holdSeconds: 600 }), [200, 409]);
            if (x < 0.4) await settle(id, 'complete', r.int(1, units));
            else if (x < 0.55) await settle(id, 'fail', units);
            else if (x < 0.65) await settle(id, 'race', units);
            // else: abandoned; the hold times out.
          } else if (x < 0.78) {
            const id = mine.length ? r.pick(mine) : null;
            if (!id) return;
            const res = expect_('refund', await call(base, 'POST', `/v1/generations/${id}/refund`, { reason: 'operator refund' }), [200, 409]);
            if (res.status === 200) gens.get(id)!.refunded = true;
            count('refund');
          } else if (x < 0.88) {
            const expiring = r.chance(0.3);
            const amount = r.int(1, 40);
            const body = { amount, source: 'bonus', reason: 'goodwill', ...(expiring ? { expiresAt: new Date(clockNow + r.int(2, 8) * 3_600_000).toISOString() } : {}) };
            const res = expect_('grant', await call(base, 'POST', `/v1/customers/${c}/grants`, body), [201, 400]);
            // 400 only when the clock passed the chosen expiry in between; anything else is a problem.
            if (res.status === 400 && res.body?.error?.details?.field !== 'expiresAt' && !/expiresAt/.test(JSON.stringify(res.body))) problems.push(`grant refused: ${JSON.stringify(res.body)}`);
            if (res.status === 201) grantsAcked.set(res.body.id, amount);
            count('grant');
          } else if (x < 0.9) {
            const grants: Array<{ id: string }> = (await must(base, 'GET', `/v1/customers/${c}/grants`, undefined, 200)).data.filter((g: any) => g.source === 'bonus' && g.remaining > 0);
            if (grants.length === 0) return;
            expect_('void', await call(base, 'POST', `/v1/grants/${r.pick(grants).id}/void`, { reason: 'abuse' }), [200, 409]);
            count('void');
          } else if (x < 0.95) {
            const res = expect_('purchase', await call(base, 'POST', `/v1/customers/${c}/purchases`, { packId: 'rel-pack' }, { 'idempotency-key': `buy-${w}-${genSeq++}` }), [201]);
            if (res.status === 201) purchasesAcked.add(res.body.id);
            count('purchase');
          } else if (x < 0.955 && toppedUp.includes(c)) {
            // Auto top-up turned off and on again under the storm (on while below the threshold buys at once).
            expect_('auto top-up', await call(base, 'PUT', `/v1/customers/${c}/auto-top-up`, topUpBody(r.chance(0.7))), [200]);
            count('autoTopUp');
          } else {
            const b = expect_('balance', await call(base, 'GET', `/v1/customers/${c}/balance`), [200]).body;
            if (b.available < 0 || b.reserved < 0) problems.push(`balance of ${c} went negative: ${JSON.stringify(b)}`);
            count('balance');
          }
        });
      }
    };

    // The test clock runs: an hour every half second (periods, expiries, timeouts).
    const ticker = (async () => {
      while (Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 500));
        await guarded('clock', async () => {
          clockNow = Date.parse(expect_('clock', await call(base, 'POST', '/v1/test-clock', { advanceSeconds: 3600 }), [200]).body.now);
          count('clock');
        });
      }
    })();

    // The monitor: the books, at every moment.
    const books = await openBooks(db.url);
    cleanup.push(() => books.close());
    let snapshots = 0;
    let audits = 0;
    const monitor = (async () => {
      let lastAudit = Date.now();
      while (Date.now() < deadline) {
        const now = await books.read();
        const v = [...violations(now), ...limitViolations(now, customers)];
        snapshots++;
        for (const p of v) problems.push(`mid-run: ${p}`);
        for (const c of customers) {
          const pending = now.purchases.filter((x) => x.customerId === c && x.autoTopUp && x.status === 'pending');
          if (pending.length > 1) problems.push(`mid-run: ${c} has ${pending.length} top-ups pending at once`);
        }
        if (Date.now() - lastAudit > 3000) {
          const report = await books.audit();
          audits++;
          for (const p of report.problems) problems.push(`mid-run ledger check: ${p}`);
          lastAudit = Date.now();
        }
        await new Promise((res) => setTimeout(res, 200));
      }
    })();

    await Promise.all([...Array.from({ length: WORKERS }, (_, w) => worker(w)), ticker, monitor]);

    // After the run: every hold still open times out by itself once the clock passes it.
    await must(base, 'POST', '/v1/test-clock', { advanceSeconds: 7200 }, 200);
    let end: Books = await books.read();
    for (let i = 0; i < 50 && [...end.generations.values()].some((g) => g.status === 'reserved'); i++) {
      await new Promise((res) => setTimeout(res, 200));
      end = await books.read();
    }
    const stillHeld = [...end.generations.entries()].filter(([, g]) => g.status === 'reserved').map(([id]) => id);
    if (stillHeld.length) problems.push(`holds that never timed out: ${stillHeld.slice(0, 5).join(', ')} (${stillHeld.length})`);

    for (const p of [...violations(end), ...limitViolations(end, customers)]) problems.push(`end: ${p}`);
    const audit = await books.audit();
    for (const p of audit.problems) problems.push(`end ledger check: ${p}`);

    // What the clients were told is what the books hold.
    for (const [id, g] of gens) {
      const stored = end.generations.get(id);
      if (!stored) {
        problems.push(`acknowledged generation ${id} is missing`);
        continue;
      }
      if (stored.cost !== g.cost) problems.push(`generation ${id}: acknowledged cost ${g.cost}, stored ${stored.cost}`);
      if (g.completed && stored.status !== 'completed') problems.push(`generation ${id} acknowledged completed, stored ${stored.status}`);
      if (g.failed && stored.status !== 'failed') problems.push(`generation ${id} acknowledged failed, stored ${stored.status}`);
      if (g.refunded && stored.refunded === 0) problems.push(`generation ${id} acknowledged refunded, stored refunded 0`);
    }
    for (const id of refused) if (end.generations.has(id)) problems.push(`refused generation ${id} exists`);
    for (const id of end.generations.keys()) if (!gens.has(id)) problems.push(`generation ${id} exists but was never acknowledged`);
    for (const [id, amount] of grantsAcked) if (end.grants.get(id)?.amount !== amount) problems.push(`acknowledged grant ${id} of ${amount} is stored as ${JSON.stringify(end.grants.get(id))}`);
    const bonusStored = [...end.grants.values()].filter((g) => g.source === 'bonus').length;
    if (bonusStored !== grantsAcked.size) problems.push(`${grantsAcked.size} bonus grants acknowledged, ${bonusStored} stored`);
    // Auto top-up: the worker pays what is left pending once the storm is over.
    for (let i = 0; i < 50 && end.purchases.some((x) => x.autoTopUp && x.status === 'pending'); i++) {
      await new Promise((res) => setTimeout(res, 200));
      end = await books.read();
    }
    const topUps = end.purchases.filter((x) => x.autoTopUp);
    const bought = end.purchases.filter((x) => !x.autoTopUp);
    const topUpsPaid = topUps.filter((x) => x.status === 'paid');
    const addonStored = [...end.grants.values()].filter((g) => g.source === 'addon').length;
    if (addonStored !== purchasesAcked.size + topUpsPaid.length || bought.length !== purchasesAcked.size) {
      problems.push(`${purchasesAcked.size} purchases acknowledged and ${topUpsPaid.length} top-ups paid; ${bought.length} purchases stored with ${addonStored} add-on grants`);
    }
    for (const t of topUps) {
      if (t.status === 'pending') problems.push(`top-up ${t.id} still pending after the run`);
      if (!toppedUp.includes(t.customerId)) problems.push(`top-up ${t.id} for ${t.customerId}, who never had auto top-up`);
      const grant = end.grants.get(`addon:${t.id}`);
      if (t.status === 'paid' && (grant?.amount !== 50 || grant.customerId !== t.customerId)) problems.push(`paid top-up ${t.id} has grant ${JSON.stringify(grant)}`);
      if (t.status !== 'paid' && grant) problems.push(`top-up ${t.id} (${t.status}) has a grant`);
    }
    for (const c of toppedUp) {
      const mine = topUps.filter((t) => t.customerId === c);
      // One purchase per crossing, numbered by the crossing: 1, 2, 3 … with none twice and none skipped.
      const crossings = mine.map((t) => Number(/_(\d+)$/.exec(t.id)?.[1])).sort((a, b) => a - b);
      if (crossings.some((n, i) => n !== i + 1)) problems.push(`${c}: top-up crossings ${crossings.join(',')}`);
      const byMonth = new Map<string, number>();
      for (const t of mine) {
        const month = new Date(t.createdAt).toISOString().slice(0, 7);
        byMonth.set(month, (byMonth.get(month) ?? 0) + 1);
      }
      for (const [month, n] of byMonth) if (n > TOP_UP.monthlyPurchases) problems.push(`${c}: ${n} top-ups in ${month}, over the limit of ${TOP_UP.monthlyPurchases}`);
    }

    const ops = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(
      `[reliability] bank ${kind.name}: ${SECONDS} s, ${WORKERS} workers, ${CUSTOMERS} customers, seed ${SEED}: ${ops} operations ${JSON.stringify(counts)}, ` +
        `${end.generations.size} generations, ${end.grants.size} grants, ${snapshots} snapshots and ${audits + 1} ledger checks (${audit.entries} entries), ${topUps.length} top-ups (${topUpsPaid.length} paid), ${problems.length} violations`,
    );
    expect(problems.slice(0, 20)).toEqual([]);
    expect(snapshots).toBeGreaterThan(SECONDS);
    expect(counts.race ?? 0).toBeGreaterThan(0);
    // The limits were exercised: both refusals happened, and windows were counted.
    expect(counts.spend_limit_reached ?? 0).toBeGreaterThan(0);
    expect(counts.too_many_in_flight ?? 0).toBeGreaterThan(0);
    expect([...end.limits.stored.keys()].some((k) => k.startsWith('bank_2') && k.includes(':customer::day:'))).toBe(true);
    expect(topUpsPaid.length).toBeGreaterThan(0);
  });
});
