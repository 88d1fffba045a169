import type { AutoTopUp } from '../../src/domain/auto-top-up.js';
import { describe, expect, it } from 'vitest';
import type { PurseEvent } from '../../src/domain/events.js';
import type { Customer, Generation, Grant, Member, Purchase, Subscription, Tool } from '../../src/domain/types.js';
import { noChanges, type Store } from '../../src/store/store.js';
import { windowStarts, type SpendWindow } from '../../src/domain/limits.js';

/**
 * The conformance suite every Store adapter must pass, written once and run per
 * adapter (like Medusa's searchProviderConformanceSuite). `corrupt` changes a
 * row behind the store's back, so the ledger check can be shown to catch it;
 * `rawExec` runs SQL directly, to show the ledger refuses edits.
 */
export function storeConformanceSuite(
  name: string,
  open: () => Promise<{ store: Store; second: () => Promise<Store>; rawExec: (sql: string) => Promise<void> }>,
): void {
  describe(`Store conformance: ${name}`, () => {
    const now = Date.UTC(2031, 0, 1);
    let n = 0;
    const id = (p: string) => `${p}-${Date.now().toString(36)}-${n++}`;
    const customer = (cid: string): Customer => ({ id: cid, name: 'C', email: `${cid}@example.com`, metadata: { tier: 'gold' }, createdAt: now, updatedAt: now });
    const grant = (cid: string, gid: string, amount: number, extra: Partial<Grant> = {}): Grant => ({
      id: gid, customerId: cid, source: 'bonus', amount, remaining: amount, expiresAt: null, priority: 0, createdAt: now, voidedAt: null, reason: 'r', origin: null, paid: 0, currency: null, consumed: 0, refunded: false, ...extra,
    });
    const generation = (cid: string, gid: string, grantId: string, extra: Partial<Generation> = {}): Generation => ({
      id: gid, customerId: cid, toolId: 't', units: 1, unitCredits: 2, cost: 2, status: 'reserved', allocations: [{ grantId, amount: 2 }], chargedUnits: null,
      charged: 0, refunded: 0, metadata: { k: 'v' }, holdUntil: now + 60_000, failureReason: null, failureMessage: null, createdAt: now, settledAt: null, memberId: null,
      refundTerms: null, reportedAt: null, retryOf: null, freeRetry: false, retriedBy: null, ...extra,
    });
    /** Writes a grant with its ledger entry, as the service would. */
    const writeGrant = (store: Store, g: Grant) =>
      store.transact(g.customerId, { now }, () => {
        const changes = noChanges();
        changes.insertGrants.push(g);
        changes.ledger.push({ customerId: g.customerId, type: 'grant', grantId: g.id, source: g.source, generationId: null, toolId: null, amount: g.amount, availableDelta: g.amount, reservedDelta: 0, money: g.paid, reason: null, createdAt: now });
        return { changes, result: g.id };
      });

    it('creates and updates customers, keeping when they were created', async () => {
      const { store } = await open();
      const cid = id('cus');
      await store.putCustomer(customer(cid));
      const updated = await store.putCustomer({ ...customer(cid), name: 'New', createdAt: now + 5, updatedAt: now + 10 });
      expect(updated).toMatchObject({ id: cid, name: 'New', createdAt: now, updatedAt: now + 10, metadata: { tier: 'gold' } });
      expect(await store.getCustomer(cid)).toEqual(updated);
      expect(await store.getCustomer(id('nobody'))).toBeNull();
      expect((await store.searchCustomers(`${cid}@example`, 10)).map((c) => c.id)).toEqual([cid]);
    });

    it('records a tool price line only when the price changes', async () => {
      const { store } = await open();
      const tid = id('tool');
      const tool: Tool = { id: tid, name: 'T', credits: 3, unit: 'image', description: null, holdSeconds: 60, active: true, createdAt: now, updatedAt: now };
      await store.putTool(tool);
      await store.putTool({ ...tool, name: 'Renamed', updatedAt: now + 1 });
      await store.putTool({ ...tool, credits: 5, updatedAt: now + 2 });
      expect((await store.toolPrices(tid)).map((p) => [p.credits, p.effectiveAt])).toEqual([[3, now], [5, now + 2]]);
      expect(await store.getTool(tid)).toMatchObject({ name: 'T', credits: 5, refundPolicy: null, reportWindowHours: 24 });
      await store.putTool({ ...tool, refundPolicy: { safety_blocked: 40, timeout: 0 }, reportWindowHours: 6, updatedAt: now + 3 });
      expect(await store.getTool(tid)).toMatchObject({ refundPolicy: { safety_blocked: 40, timeout: 0 }, reportWindowHours: 6 });
    });

    it('writes everything a decision changed, and nothing when the decision throws', async () => {
      const { store } = await open();
      const cid = id('cus');
      await store.putCustomer(customer(cid));
      await writeGrant(store, grant(cid, 'g1', 10));
      await expect(
        store.transact(cid, { now }, () => {
          const changes = noChanges();
          changes.insertGrants.push(grant(cid, 'g2', 5));
          throw Object.assign(new Error('refused'), { code: 'insufficient_credits' });
        }),
      ).rejects.toMatchObject({ code: 'insufficient_credits' });
      expect((await store.listGrants(cid)).map((g) => g.id)).toEqual(['g1']);
      expect(await store.listLedger(cid, { limit: 10 })).toHaveLength(1);
    });

    it('loads a snapshot with live grants, named and due generations, their grants and the idempotency record', async () => {
      const { store } = await open();
      const cid = id('cus');
      const other = id('cus');
      await store.putCustomer(customer(cid));
      await store.putCustomer(customer(other));
      await writeGrant(store, grant(cid, 'live', 10));
      await writeGrant(store, grant(cid, 'spent', 2));
      await store.transact(cid, { now }, () => {
        const changes = noChanges();
        changes.updateGrants.push({ ...grant(cid, 'spent', 2), remaining: 0 });
        changes.insertGenerations.push(generation(cid, 'due', 'spent', { holdUntil: now - 1 }), generation(cid, 'later', 'live'));
        changes.idempotency = { key: 'k1', requestHash: 'h', statusCode: 201, response: { ok: true }, createdAt: now };
        return { changes, result: null };
      });
      await writeGrant(store, grant(other, 'og', 5));
      await store.transact(other, { now }, () => {
        const changes = noChanges();
        changes.insertGenerations.push(generation(other, 'theirs', 'og'));
        return { changes, result: null };
      });
      const snap = await store.transact(cid, { now, generationIds: ['theirs'], idempotencyKey: 'k1' }, (s) => ({ changes: noChanges(), result: s }));
      expect(snap.customer?.id).toBe(cid);
      // 'spent' is empty but the due generation used it, so it is loaded too.
      expect(snap.grants.map((g) => g.id).sort()).toEqual(['live', 'spent']);
      expect(snap.generations.filter((g) => g.customerId === cid).map((g) => g.id)).toEqual(['due']);
      // A generation id another customer holds is seen taken by the write that would take it: SQLite's
      // snapshot shows it; PostgreSQL's (one shard: the customer's own rows) does not, its insert into
      // generation_ids is refused, and the write is decided again on a snapshot that shows it.
      let seen: string | undefined;
      const taking = store.transact(cid, { now, generationIds: ['theirs'] }, (s) => {
        seen = s.generations.find((g) => g.id === 'theirs')?.customerId;
        if (seen !== undefined) throw new Error('taken');
        const changes = noChanges();
        changes.insertGenerations.push(generation(cid, 'theirs', 'live'));
        return { changes, result: null };
      });
      await expect(taking).rejects.toThrow('taken');
      expect(seen).toBe(other);
      expect(snap.idempotency).toMatchObject({ key: 'k1', requestHash: 'h', statusCode: 201, response: { ok: true } });
      expect(snap.subscription).toBeNull();
      expect((await store.readBalance(cid, now)).reserved).toBe(4);
      expect((await store.readBalance(cid, now)).holdsDue).toBe(true);
      expect(await store.dueCustomers(now, 100)).toContain(cid);
    });

    it('pages the ledger and generations newest first', async () => {
      const { store } = await open();
      const cid = id('cus');
      await store.putCustomer(customer(cid));
      for (let i = 0; i < 7; i++) await writeGrant(store, grant(cid, `g${i}`, i + 1));
      const first = await store.listLedger(cid, { limit: 3 });
      const second = await store.listLedger(cid, { limit: 3, before: String(first.at(-1)!.id) });
      const third = await store.listLedger(cid, { limit: 3, before: String(second.at(-1)!.id) });
      expect([...first, ...second, ...third].map((e) => e.amount)).toEqual([7, 6, 5, 4, 3, 2, 1]);
      await store.transact(cid, { now }, () => {
        const changes = noChanges();
        for (let i = 0; i < 5; i++) changes.insertGenerations.push(generation(cid, `gen${i}`, 'g0', { createdAt: now + i }));
        return { changes, result: null };
      });
      const page1 = await store.listGenerations(cid, { limit: 2 });
      const page2 = await store.listGenerations(cid, { limit: 10, before: `${page1[1]!.createdAt}.${page1[1]!.id}` });
      expect([...page1, ...page2].map((g) => g.id)).toEqual(['gen4', 'gen3', 'gen2', 'gen1', 'gen0']);
    });

    it('never loses an update when many writes to one customer race, from two connections', async () => {
      const { store, second } = await open();
      const other = await second();
      try {
        const cid = id('cus');
        await store.putCustomer(customer(cid));
        await writeGrant(store, grant(cid, 'pot', 1000));
        const spend = (s: Store) =>
          s.transact(cid, { now }, (snap) => {
            const pot = snap.grants.find((g) => g.id === 'pot')!;
            const changes = noChanges();
            changes.updateGrants.push({ ...pot, remaining: pot.remaining - 1, consumed: pot.consumed + 1 });
            changes.ledger.push({ customerId: cid, type: 'void', grantId: 'pot', source: 'bonus', generationId: null, toolId: null, amount: 1, availableDelta: -1, reservedDelta: 0, money: 0, reason: null, createdAt: now });
            return { changes, result: null };
          });
        await Promise.all(Array.from({ length: 200 }, (_, i) => spend(i % 2 ? store : other)));
        expect((await store.listGrants(cid))[0]!.remaining).toBe(800);
        expect((await store.audit()).problems.filter((p) => p.includes(cid))).toEqual([]);
      } finally {
        await other.close();
      }
    });

    // Other tests here write rows without their ledger entries on purpose; the checks look at one customer.
    it('finds nothing wrong in a consistent ledger and names a balance changed behind its back', async () => {
      const { store, rawExec } = await open();
      const cid = id('cus');
      await store.putCustomer(customer(cid));
      await writeGrant(store, grant(cid, 'g', 10));
      const mine = async () => (await store.audit()).problems.filter((p) => p.includes(cid));
      expect(await mine()).toEqual([]);
      await rawExec(`UPDATE grants SET remaining = 9 WHERE customer_id = '${cid}' AND id = 'g'`);
      expect(await mine()).toEqual([`grant g of ${cid}: remaining 9, ledger says 10`]);
      await rawExec(`UPDATE grants SET remaining = 10 WHERE customer_id = '${cid}' AND id = 'g'`);
    });

    it('refuses to edit or delete a ledger entry', async () => {
      const { store, rawExec } = await open();
      const cid = id('cus');
      await store.putCustomer(customer(cid));
      await writeGrant(store, grant(cid, 'g', 10));
      await expect(rawExec(`UPDATE ledger_entries SET amount = 11 WHERE customer_id = '${cid}'`)).rejects.toThrow(/append-only/);
      await expect(rawExec(`DELETE FROM ledger_entries WHERE customer_id = '${cid}'`)).rejects.toThrow(/append-only/);
    });

    it('keeps API keys hashed, finds and revokes them', async () => {
      const { store } = await open();
      const kid = id('key');
      await store.insertApiKey({ id: kid, name: 'n', prefix: 'sk_abcd', hash: `hash-${kid}`, createdAt: now, revokedAt: null });
      expect(await store.findApiKeyByHash(`hash-${kid}`)).toMatchObject({ id: kid, revokedAt: null });
      expect(await store.revokeApiKey(kid, now + 1)).toBe(true);
      expect(await store.revokeApiKey(kid, now + 2)).toBe(false);
      expect(await store.findApiKeyByHash(`hash-${kid}`)).toMatchObject({ revokedAt: now + 1 });
    });

    it('keeps team members by team, loads a named one and the windows with a write, and filters reads by member', async () => {
      const { store } = await open();
      const team = id('team');
      const other = id('team');
      await store.putCustomer(customer(team));
      await store.putCustomer(customer(other));
      const ada: Member = { customerId: team, id: 'ada', name: 'Ada', email: 'ada@example.com', role: 'admin', limits: { daily: 5, monthly: 50 }, limitsReason: 'why', createdAt: now, updatedAt: now + 1, removedAt: null };
      const bob: Member = { ...ada, id: 'bob', name: null, email: null, role: 'member', limits: null, limitsReason: null };
      await store.putMember(ada);
      await store.putMember(bob);
      // The same member id in another team is another member.
      await store.putMember({ ...ada, customerId: other, name: 'Other Ada' });
      expect(await store.getMember(team, 'ada')).toEqual(ada);
      expect(await store.listMembers(team)).toEqual([ada, bob]);
      expect(await store.getMember(team, 'nobody')).toBeNull();
      await store.putMember({ ...bob, removedAt: now + 5, updatedAt: now + 5 });
      expect(await store.getMember(team, 'bob')).toMatchObject({ removedAt: now + 5 });

      // A write naming a member loads its row (of this team only) and the spend windows, though the team has no limits.
      const seen = await store.transact(team, { now, memberId: 'ada' }, (snap) => ({ changes: noChanges(), result: { members: snap.members, windows: snap.spendWindows } }));
      expect(seen).toEqual({ members: [ada], windows: [] });
      expect(await store.transact(team, { now }, (snap) => ({ changes: noChanges(), result: snap.spendWindows }))).toBeNull();

      const g: Grant = { id: id('grant'), customerId: team, source: 'bonus', amount: 10, remaining: 10, expiresAt: null, priority: 0, createdAt: now, voidedAt: null, reason: null, origin: null, paid: 0, currency: null, consumed: 0, refunded: false };
      await writeGrant(store, g);
      const mine = generation(team, id('gen'), g.id, { memberId: 'ada', createdAt: now + 1, status: 'completed', charged: 2 });
      const theirs = generation(team, id('gen'), g.id, { memberId: 'bob', createdAt: now + 2 });
      const nobody = generation(team, id('gen'), g.id, { createdAt: now + 3 });
      await store.transact(team, { now }, () => {
        const changes = noChanges();
        changes.insertGenerations.push(mine, theirs, nobody);
        for (const gen of [mine, theirs, nobody]) {
          changes.ledger.push({ customerId: team, type: 'reserve', grantId: g.id, source: 'bonus', generationId: gen.id, toolId: 't', memberId: gen.memberId, amount: 2, availableDelta: -2, reservedDelta: 2, money: 0, reason: null, createdAt: gen.createdAt });
        }
        changes.spendWindows.push({ customerId: team, scope: 'member', toolId: '', memberId: 'ada', window: 'day', windowStart: windowStarts(now).day, used: 2 });
        return { changes, result: null };
      });
      expect((await store.listGenerations(team, { limit: 10 }, 'ada')).map((x) => x.id)).toEqual([mine.id]);
      expect((await store.listGenerations(team, { limit: 10 })).map((x) => x.id)).toEqual([nobody.id, theirs.id, mine.id]);
      expect((await store.listLedger(team, { limit: 10 }, 'bob')).map((e) => e.generationId)).toEqual([theirs.id]);
      expect(await store.readSpendWindows(team, [windowStarts(now).day])).toEqual([{ customerId: team, scope: 'member', toolId: '', memberId: 'ada', window: 'day', windowStart: windowStarts(now).day, used: 2 }]);
      const report = (await store.reportSpendByMember(now, now + 10)).filter((r) => r.customerId === team);
      expect(report.sort((a, b) => a.memberId.localeCompare(b.memberId))).toEqual([
        { customerId: team, memberId: 'ada', name: 'Ada', generations: 1, charged: 2, refunded: 0 },
        { customerId: team, memberId: 'bob', name: null, generations: 1, charged: 0, refunded: 0 },
      ]);
    });

    it('round-trips every written column of every customer table through transact, inserted and then updated', async () => {
      const { store } = await open();
      const cid = id('cus');
      await store.putCustomer(customer(cid));
      await store.setCustomerAlerts(cid, { lowBalance: [7, 3], expiringSoonDays: 2 });
      // Every field set to something that is not a default, so a column a write path leaves out reads back different.
      const g: Grant = { id: id('grant'), customerId: cid, source: 'adjustment', amount: 90, remaining: 80, expiresAt: now + 9_000, priority: 4, createdAt: now + 1, voidedAt: null, reason: 'why', origin: { kind: 'operator', ref: 'op-1' }, warnAt: now + 5_000, paid: 1234, currency: 'eur', consumed: 7, refunded: true };
      const gen = generation(cid, id('gen'), g.id, { units: 3, unitCredits: 2, cost: 6, allocations: [{ grantId: g.id, amount: 6 }], metadata: { a: 1 }, holdUntil: now + 70_000, createdAt: now + 2, counted: true, memberId: 'mem-1',
        refundTerms: { policy: { provider_error: 100, timeout: 90, safety_blocked: 0, user_canceled: 80, bad_result: 70, other: 60 }, reportWindowHours: 12 }, retryOf: 'gen-before', freeRetry: true });
      const purchase: Purchase = {
        id: id('pur'), customerId: cid, packId: 'pk', credits: 100, price: { amount: 999, currency: 'eur' }, expiresInDays: 30, status: 'pending', provider: 'stripe',
        providerRef: 'cs_1', paymentRef: 'pi_1', checkoutUrl: 'https://pay.example/1', grantId: null, createdAt: now + 3, paidAt: null, refundedAt: null, autoTopUp: true,
      };
      const autoTopUp: AutoTopUp = {
        enabled: true, threshold: 25, packId: 'pk', quantity: 2, monthlyLimit: { purchases: 4, amount: null }, cooldownSeconds: 9, credits: 100, price: { amount: 999, currency: 'eur' },
        expiresInDays: 30, provider: 'stripe', reason: 'asked by support',
        state: { armed: false, crossings: 3, pendingPurchaseId: purchase.id, failuresInRow: 1, lastTopUpAt: now, lastFailure: { purchaseId: 'p0', reason: 'card_declined', at: now - 1 }, month: '2030-03', monthPurchases: 2, monthAmount: 1998 },
      };
      const sub: Subscription = {
        id: id('sub'), customerId: cid, planId: 'p1', status: 'active', drivenBy: 'stripe', anchor: now - 5, periodIndex: 3, currentPeriodStart: now - 4, currentPeriodEnd: now + 40,
        cancelAtPeriodEnd: true, pendingPlanId: 'p0', providerRef: 'sub_x', createdAt: now - 9, updatedAt: now - 1, canceledAt: null, changeReason: 'asked', periodGrantId: g.id,
      };
      const refundUsage = { periodStart: now - 4, freeRetries: 2, day: now - 100, reports: 3 };
      const entry = { customerId: cid, type: 'grant' as const, grantId: g.id, source: g.source, generationId: gen.id, toolId: 'tl', memberId: 'mem-1', amount: 90, availableDelta: 90, reservedDelta: 0, money: 1234, reason: 'entry reason', createdAt: now + 4 };
      const event: PurseEvent = { id: id('evt'), customerId: cid, type: 'credits.granted', createdAt: now + 5, data: { grant: { id: g.id }, n: 1 } };
      const key = { key: id('key'), requestHash: 'h', statusCode: 207, response: { ok: 1 }, createdAt: now + 6 };
      const window: SpendWindow = { customerId: cid, scope: 'member', toolId: '', memberId: 'mem-1', window: 'month', windowStart: now - 100, used: 6 };
      await store.transact(cid, { now }, () => {
        const changes = noChanges();
        changes.insertGrants.push(g);
        changes.insertGenerations.push(gen);
        changes.insertPurchases.push(purchase);
        changes.subscription = sub;
        changes.ledger.push(entry);
        changes.events.push(event);
        changes.idempotency = key;
        changes.spendWindows.push(window);
        changes.inFlightDelta = 1;
        changes.customer = { autoTopUp, refundUsage };
        return { changes, result: null };
      });
      const read = async () => ({
        grant: (await store.listGrants(cid)).find((x) => x.id === g.id),
        generation: await store.getGeneration(gen.id),
        purchase: await store.getPurchase(purchase.id),
        subscription: await store.getSubscription(cid),
      });
      let stored = await read();
      expect(stored).toEqual({ grant: g, generation: gen, purchase, subscription: sub });
      const [ledger] = await store.listLedger(cid, { limit: 5 });
      expect(ledger).toEqual({ ...entry, id: expect.any(Number) });
      expect(await store.listEvents({ customerId: cid }, { limit: 5 })).toEqual([{ ...event, seq: 1 }]);
      const snapshot = await store.transact(cid, { now, idempotencyKey: key.key }, (s) => ({ changes: noChanges(), result: s.idempotency }));
      expect(snapshot).toEqual(key);
      expect((await store.getCustomer(cid))!.alerts).toEqual({ lowBalance: [7, 3], expiringSoonDays: 2 });
      expect(await store.readSpendWindows(cid, [now - 100])).toEqual([window]);
      expect((await store.getCustomer(cid))!.inFlight).toBe(1);
      expect((await store.getCustomer(cid))!.autoTopUp).toEqual(autoTopUp);
      expect((await store.getCustomer(cid))!.refundUsage).toEqual(refundUsage);
      expect(await store.transact(cid, { now }, (s) => ({ changes: noChanges(), result: s.customer!.autoTopUp }))).toEqual(autoTopUp);

      // Now every column an update may change, changed.
      const g2: Grant = { ...g, remaining: 10, voidedAt: now + 7, expiresAt: now + 8_000, reason: 'voided', warnAt: null };
      const gen2: Generation = { ...gen, status: 'completed', chargedUnits: 2, charged: 4, refunded: 1, holdUntil: now + 80_000, failureReason: 'safety_blocked', failureMessage: 'blocked', settledAt: now + 8, reportedAt: now + 9, retriedBy: 'gen-after' };
      const purchase2: Purchase = { ...purchase, status: 'paid', providerRef: 'cs_2', paymentRef: 'pi_2', checkoutUrl: null, grantId: g.id, paidAt: now + 9, refundedAt: now + 10 };
      const sub2: Subscription = {
        ...sub, id: id('sub'), planId: 'p2', status: 'canceled', drivenBy: 'purse', anchor: now + 1, periodIndex: 0, currentPeriodStart: now + 2, currentPeriodEnd: now + 3,
        cancelAtPeriodEnd: false, pendingPlanId: null, providerRef: null, updatedAt: now + 11, canceledAt: now + 12, changeReason: null, periodGrantId: null,
      };
      await store.transact(cid, { now }, () => {
        const changes = noChanges();
        changes.updateGrants.push(g2);
        changes.updateGenerations.push(gen2);
        changes.updatePurchases.push(purchase2);
        changes.subscription = sub2;
        changes.spendWindows.push({ ...window, used: 2 });
        changes.inFlightDelta = -1;
        return { changes, result: null };
      });
      stored = await read();
      expect(stored).toEqual({ grant: g2, generation: gen2, purchase: purchase2, subscription: sub2 });
      expect(await store.readSpendWindows(cid, [now - 100])).toEqual([{ ...window, used: 2 }]);
      expect((await store.getCustomer(cid))!.inFlight).toBe(0);
      await store.setCustomerLimits(cid, { daily: 5, tools: { tl: { monthly: 9 } } }, 'why');
      expect(await store.getCustomer(cid)).toMatchObject({ limits: { daily: 5, tools: { tl: { monthly: 9 } } }, limitsReason: 'why' });

      // Spend windows are loaded with limits in force, and only then: now's day and month.
      const today: SpendWindow = { customerId: cid, scope: 'customer', toolId: '', memberId: '', window: 'day', windowStart: windowStarts(now).day, used: 3 };
      await store.transact(cid, { now }, () => ({ changes: { ...noChanges(), spendWindows: [today] }, result: null }));
      expect(await store.transact(cid, { now }, (s) => ({ changes: noChanges(), result: s.spendWindows }))).toEqual([today]);
      await store.setCustomerLimits(cid, null, null);
      expect(await store.transact(cid, { now }, (s) => ({ changes: noChanges(), result: s.spendWindows }))).toBeNull();
    });

    it('keeps the first value of a setting', async () => {
      const { store } = await open();
      const key = id('meta');
      expect(await store.getOrSetMeta(key, () => 'first')).toBe('first');
      expect(await store.getOrSetMeta(key, () => 'second')).toBe('first');
      await store.setMeta(key, 'third');
      expect(await store.getMeta(key)).toBe('third');
    });
  });
}
