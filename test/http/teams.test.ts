import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCustomer, startTestPurse, uid, type TestPurse } from '../helpers.js';

/**
 * Teams (issue 15) through HTTP, on both stores and (in the postgres-2proc
 * project) with calls alternating between two server processes: members, a
 * shared pool spent within each member's limits, member sessions, and spend per
 * member. The test clock is set to a fixed day first and only moves forward.
 */
let p: TestPurse;
beforeAll(async () => {
  p = await startTestPurse();
  await p.call('POST', '/v1/test-clock', { now: '2031-05-12T12:00:00.000Z' });
});
afterAll(async () => {
  await p?.close();
});

type Entry = { type: string; amount: number; generationId: string | null; memberId: string | null; availableDelta: number };

const reserve = (customerId: string, toolId: string, memberId?: string) => p.call('POST', '/v1/generations', { customerId, toolId, ...(memberId ? { memberId } : {}) });
const ledger = async (customerId: string): Promise<Entry[]> => (await p.call('GET', `/v1/customers/${customerId}/ledger?limit=100`)).body.data;
const member = (teamId: string, memberId: string, body: unknown = {}) => p.call('PUT', `/v1/customers/${teamId}/members/${memberId}`, body);
const session = async (teamId: string, memberId?: string) => {
  const res = await p.call('POST', `/v1/customers/${teamId}/sessions`, memberId ? { memberId } : {});
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.token as string;
};

describe('members', () => {
  it('are put, read, listed and removed; fields left out keep their value', async () => {
    const { customerId: team } = await seedCustomer(p);
    const created = await member(team, 'ada', { name: 'Ada', email: 'ada@example.com', limits: { daily: 10 }, reason: 'intern' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ customerId: team, id: 'ada', name: 'Ada', email: 'ada@example.com', role: 'member', limits: { daily: 10 }, limitsReason: 'intern', used: { day: 0, month: 0 }, removedAt: null });
    expect(created.body.windows.month).toEqual({ start: '2031-05-01T00:00:00.000Z', end: '2031-06-01T00:00:00.000Z' });
    const updated = await member(team, 'ada', { role: 'admin' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Ada', role: 'admin', limits: { daily: 10 }, limitsReason: 'intern' });
    expect((await member(team, 'ada', { limits: {}, reason: 'promoted' })).body).toMatchObject({ limits: null, limitsReason: 'promoted' });
    expect((await member(team, 'bob')).status).toBe(201);
    const list = await p.call('GET', `/v1/customers/${team}/members`);
    expect(list.status).toBe(200);
    expect(list.body.data.map((m: { id: string }) => m.id)).toEqual(['ada', 'bob']);

    const removed = await p.call('DELETE', `/v1/customers/${team}/members/bob`);
    expect(removed.status).toBe(200);
    expect(removed.body.removedAt).toBe('2031-05-12T12:00:00.000Z');
    // Removed members stay listed (their history names them), marked.
    expect((await p.call('GET', `/v1/customers/${team}/members/bob`)).body.removedAt).not.toBeNull();
    expect((await p.call('DELETE', `/v1/customers/${team}/members/bob`)).status).toBe(200);
    // Putting one back makes it a member again.
    expect((await member(team, 'bob')).body.removedAt).toBeNull();
  });

  it('refuses bad input with 400 naming the field, and an unknown team or member with 404; nothing changes', async () => {
    const { customerId: team } = await seedCustomer(p);
    const bad: [string, unknown, string][] = [
      ['ada', { limits: { daily: 0 } }, 'limits.daily'],
      ['ada', { limits: { monthly: 2.5 } }, 'limits.monthly'],
      ['ada', { limits: { weekly: 5 } }, 'limits'],
      ['ada', { role: 'owner' }, 'role'],
      ['ada', { email: 'not an email' }, 'email'],
      ['ada', { reason: '' }, 'reason'],
      ['ada', { nickname: 'a' }, 'body'],
      ['bad id', {}, 'memberId'],
    ];
    for (const [memberId, body, field] of bad) {
      const res = await p.call('PUT', `/v1/customers/${team}/members/${encodeURIComponent(memberId)}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details.field, JSON.stringify(body)).toBe(field);
    }
    expect((await p.call('GET', `/v1/customers/${team}/members`)).body.data).toEqual([]);
    const noTeam = await member(uid('nobody'), 'ada');
    expect(noTeam.status).toBe(404);
    expect(noTeam.body.error.details.resource).toBe('customer');
    const noMember = await p.call('GET', `/v1/customers/${team}/members/ghost`);
    expect(noMember.status).toBe(404);
    expect(noMember.body.error.details).toEqual({ resource: 'member', id: 'ghost' });
    expect((await p.call('DELETE', `/v1/customers/${team}/members/ghost`)).status).toBe(404);
    const bogus = await p.call('POST', '/v1/generations', { customerId: team, toolId: 'x', memberId: 'has space' });
    expect(bogus.status).toBe(400);
    expect(bogus.body.error.details.field).toBe('memberId');
  });
});

describe('a team with two members and a member limit', () => {
  it('both spend the shared pool; one is refused at its limit while the other still spends; balance, usage and ledger agree', async () => {
    const { customerId: team, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 4 });
    await member(team, 'ada', { limits: { daily: 10 } });
    await member(team, 'bob');

    const a1 = await reserve(team, toolId, 'ada');
    expect(a1.status).toBe(201);
    expect(a1.body).toMatchObject({ customerId: team, memberId: 'ada', cost: 4 });
    const a2 = await reserve(team, toolId, 'ada');
    expect(a2.status).toBe(201);
    const a3 = await reserve(team, toolId, 'ada');
    expect(a3.status).toBe(402);
    expect(a3.body.error.code).toBe('spend_limit_reached');
    expect(a3.body.error.details).toEqual({ scope: 'member', memberId: 'ada', window: 'day', limit: 10, used: 8, required: 4 });

    // Bob has no limit of his own: he goes on spending the same pool.
    const bobs = [];
    for (let i = 0; i < 5; i++) {
      const res = await reserve(team, toolId, 'bob');
      expect(res.status).toBe(201);
      bobs.push(res.body.id as string);
    }
    // A failure gives back both the credits and the member's room under its limit.
    expect((await p.call('POST', `/v1/generations/${a2.body.id}/fail`, { reason: 'model_error' })).status).toBe(200);
    expect((await p.call('POST', `/v1/generations/${a1.body.id}/complete`)).status).toBe(200);
    for (const id of bobs.slice(0, 3)) expect((await p.call('POST', `/v1/generations/${id}/complete`)).status).toBe(200);
    const a4 = await reserve(team, toolId, 'ada');
    expect(a4.status).toBe(201);
    // A reservation naming no member still spends the team's pool, outside any member's usage.
    const teamOwn = await reserve(team, toolId);
    expect(teamOwn.status).toBe(201);
    expect(teamOwn.body.memberId).toBeNull();

    // ada: a1 completed (4) + a4 reserved (4); bob: 3 completed + 2 reserved (20); the team's own: 4.
    const balance = (await p.call('GET', `/v1/customers/${team}/balance`)).body;
    expect(balance).toMatchObject({ available: 100 - 8 - 20 - 4, reserved: 4 + 8 + 4 });
    const members = (await p.call('GET', `/v1/customers/${team}/members`)).body.data as { id: string; used: { day: number; month: number } }[];
    expect(Object.fromEntries(members.map((m) => [m.id, m.used]))).toEqual({ ada: { day: 8, month: 8 }, bob: { day: 20, month: 20 } });

    const entries = await ledger(team);
    const gens = new Map<string, string | null>([[a1.body.id, 'ada'], [a2.body.id, 'ada'], [a4.body.id, 'ada'], [teamOwn.body.id, null], ...bobs.map((id) => [id, 'bob'] as [string, string])]);
    for (const e of entries.filter((x) => x.generationId !== null)) expect(e.memberId, `${e.type} of ${e.generationId}`).toBe(gens.get(e.generationId!));
    // Each member's usage is what the ledger holds against it: reserved, less what came back.
    for (const m of ['ada', 'bob']) {
      const mine = entries.filter((e) => e.memberId === m);
      const net = mine.filter((e) => e.type === 'reserve').reduce((s, e) => s + e.amount, 0) - mine.filter((e) => e.type === 'release').reduce((s, e) => s + e.amount, 0);
      expect(net, m).toBe(members.find((x) => x.id === m)!.used.month);
    }
    // And the balance is what the ledger says.
    expect(entries.reduce((s, e) => s + e.availableDelta, 0)).toBe(balance.available);

    // Every event of a member's generation names it.
    const events = (await p.call('GET', `/v1/events?customerId=${team}&limit=100`)).body.data as { type: string; data: { generation?: { id: string; memberId: string | null } } }[];
    const generationEvents = events.filter((e) => e.type.startsWith('generation.'));
    expect(generationEvents.length).toBeGreaterThanOrEqual(5);
    for (const e of generationEvents) expect(e.data.generation!.memberId).toBe(gens.get(e.data.generation!.id));

    // Reports: spend per member.
    const report = (await p.call('GET', '/v1/reports/members')).body.members as { customerId: string; memberId: string; generations: number; creditsCharged: number; creditsSpent: number }[];
    const mine = report.filter((r) => r.customerId === team).sort((x, y) => x.memberId.localeCompare(y.memberId));
    expect(mine).toEqual([
      { customerId: team, memberId: 'ada', name: null, generations: 3, creditsCharged: 4, creditsRefunded: 0, creditsSpent: 4 },
      { customerId: team, memberId: 'bob', name: null, generations: 5, creditsCharged: 12, creditsRefunded: 0, creditsSpent: 12 },
    ]);
  });

  it("the team's own limits apply to every member too, and a member's monthly limit to the month", async () => {
    const { customerId: team, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 5 });
    await p.call('PUT', `/v1/customers/${team}/limits`, { daily: 15 });
    await member(team, 'ada', { limits: { monthly: 100 } });
    await member(team, 'bob', { limits: { monthly: 5 } });
    expect((await reserve(team, toolId, 'bob')).status).toBe(201);
    const bobAgain = await reserve(team, toolId, 'bob');
    expect(bobAgain.body.error.details).toMatchObject({ scope: 'member', memberId: 'bob', window: 'month', limit: 5, used: 5 });
    expect((await reserve(team, toolId, 'ada')).status).toBe(201);
    expect((await reserve(team, toolId, 'ada')).status).toBe(201);
    const teamFull = await reserve(team, toolId, 'ada');
    expect(teamFull.status).toBe(402);
    expect(teamFull.body.error.details).toEqual({ scope: 'customer', window: 'day', limit: 15, used: 15, required: 5 });
    // Refusals changed nothing.
    expect((await p.call('GET', `/v1/customers/${team}/balance`)).body).toMatchObject({ available: 85, reserved: 15 });
    // The team's own limits count every member's spend, and only the team's and the tools' windows show there.
    const limits = (await p.call('GET', `/v1/customers/${team}/limits`)).body;
    expect(limits.used).toEqual({ day: 15, month: 15, tools: { [toolId]: { day: 15, month: 15 } } });
  });

  it('a removed member cannot reserve, its sessions stop working, and its history stays', async () => {
    const { customerId: team, toolId } = await seedCustomer(p, { credits: 50 });
    await member(team, 'cy');
    const gen = await reserve(team, toolId, 'cy');
    expect(gen.status).toBe(201);
    const token = await session(team, 'cy');
    expect((await p.call('GET', `/v1/customers/${team}/balance`, undefined, { auth: token })).status).toBe(200);
    await p.call('DELETE', `/v1/customers/${team}/members/cy`);
    const refused = await reserve(team, toolId, 'cy');
    expect(refused.status).toBe(404);
    expect(refused.body.error).toMatchObject({ code: 'not_found', details: { resource: 'member', id: 'cy', removed: true } });
    const ghost = await reserve(team, toolId, 'ghost');
    expect(ghost.status).toBe(404);
    expect(ghost.body.error.details).toEqual({ resource: 'member', id: 'ghost' });
    expect((await p.call('GET', `/v1/customers/${team}/balance`, undefined, { auth: token })).status).toBe(401);
    expect((await p.call('POST', `/v1/customers/${team}/sessions`, { memberId: 'cy' })).status).toBe(404);
    // Its generation settles as any other, and the ledger still names it.
    expect((await p.call('POST', `/v1/generations/${gen.body.id}/complete`)).status).toBe(200);
    const entries = await ledger(team);
    expect(entries.filter((e) => e.generationId === gen.body.id).map((e) => [e.type, e.memberId])).toEqual([
      ['charge', 'cy'],
      ['reserve', 'cy'],
    ]);
    expect((await p.call('GET', `/v1/customers/${team}/members/cy`)).body.used).toEqual({ day: 1, month: 1 });
  });
});

describe('member sessions (auth matrix)', () => {
  it('read the team balance and pricing, only their own generations and usage, and every member only as admin', async () => {
    const { customerId: team, toolId } = await seedCustomer(p, { credits: 100 });
    const { customerId: otherTeam, toolId: otherTool } = await seedCustomer(p, { credits: 100 });
    await member(team, 'ada', { role: 'admin' });
    await member(team, 'bob', { limits: { daily: 40 } });
    await member(otherTeam, 'bob');
    const adaGen = (await reserve(team, toolId, 'ada')).body.id as string;
    const bobGen = (await reserve(team, toolId, 'bob')).body.id as string;
    const otherGen = (await reserve(otherTeam, otherTool, 'bob')).body.id as string;
    const ada = await session(team, 'ada');
    const bob = await session(team, 'bob');
    const whole = await session(team);
    const as = (token: string, method: string, url: string, body?: unknown) => p.call(method, url, body, { auth: token });

    const matrix: [string, string, string, number][] = [
      // Everyone of the team reads the team's balance, limits and the pricing.
      [bob, 'GET', `/v1/customers/${team}/balance`, 200],
      [bob, 'GET', `/v1/customers/${team}/limits`, 200],
      [bob, 'GET', '/v1/pricing', 200],
      // Its own usage against its own limits; another member's only as admin.
      [bob, 'GET', `/v1/customers/${team}/members/bob`, 200],
      [bob, 'GET', `/v1/customers/${team}/members/ada`, 403],
      [bob, 'GET', `/v1/customers/${team}/members`, 403],
      [ada, 'GET', `/v1/customers/${team}/members/bob`, 200],
      [ada, 'GET', `/v1/customers/${team}/members`, 200],
      [whole, 'GET', `/v1/customers/${team}/members`, 200],
      // Its own generations only.
      [bob, 'GET', `/v1/generations/${bobGen}`, 200],
      [bob, 'GET', `/v1/generations/${adaGen}`, 403],
      [ada, 'GET', `/v1/generations/${bobGen}`, 403],
      [whole, 'GET', `/v1/generations/${bobGen}`, 200],
      // Nothing of another team, even a member of the same id there.
      [bob, 'GET', `/v1/generations/${otherGen}`, 403],
      [bob, 'GET', `/v1/customers/${otherTeam}/balance`, 403],
      [bob, 'GET', `/v1/customers/${otherTeam}/members/bob`, 403],
      [ada, 'GET', `/v1/customers/${otherTeam}/members`, 403],
      [ada, 'GET', `/v1/customers/${otherTeam}/generations`, 403],
      // Managing members, minting sessions and reserving take a secret key.
      [ada, 'PUT', `/v1/customers/${team}/members/bob`, 403],
      [ada, 'DELETE', `/v1/customers/${team}/members/bob`, 403],
      [ada, 'POST', `/v1/customers/${team}/sessions`, 403],
      [bob, 'POST', '/v1/generations', 403],
      [ada, 'GET', '/v1/reports/members', 403],
    ];
    for (const [token, method, url, status] of matrix) {
      const res = await as(token, method, url, method === 'GET' || method === 'DELETE' ? undefined : method === 'POST' && url === '/v1/generations' ? { customerId: team, toolId, memberId: 'bob' } : {});
      const who = token === ada ? 'ada' : token === bob ? 'bob' : 'team';
      expect(res.status, `${who} ${method} ${url}: ${JSON.stringify(res.body)}`).toBe(status);
    }

    // Lists are cut down to the member's own.
    const bobsGens = (await as(bob, 'GET', `/v1/customers/${team}/generations`)).body.data as { id: string }[];
    expect(bobsGens.map((g) => g.id)).toEqual([bobGen]);
    const bobsLedger = (await as(bob, 'GET', `/v1/customers/${team}/ledger`)).body.data as Entry[];
    expect(bobsLedger.length).toBeGreaterThan(0);
    expect(bobsLedger.every((e) => e.memberId === 'bob')).toBe(true);
    expect((await as(whole, 'GET', `/v1/customers/${team}/generations`)).body.data).toHaveLength(2);
    expect((await as(bob, 'GET', `/v1/customers/${team}/members/bob`)).body).toMatchObject({ limits: { daily: 40 }, used: { day: 1, month: 1 } });

    // A role taken away takes the reads with it at once.
    await member(team, 'ada', { role: 'member' });
    expect((await as(ada, 'GET', `/v1/customers/${team}/members`)).status).toBe(403);
    // A session for a member that does not exist is not minted.
    expect((await p.call('POST', `/v1/customers/${team}/sessions`, { memberId: 'nobody' })).status).toBe(404);
  });
});

/** The members of 100 reservations, each of ten members ten times, in an order shuffled the same way on every run. */
function shuffledTries(ids: string[]): string[] {
  const tries = Array.from({ length: 100 }, (_, i) => ids[i % 10]!);
  let seed = 15;
  for (let i = tries.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = seed % (i + 1);
    [tries[i], tries[j]] = [tries[j]!, tries[i]!];
  }
  return tries;
}

describe('100 concurrent reservations by 10 members', () => {
  it("never pass any member's limit or the pool", async () => {
    const { customerId: team, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 2 });
    const ids = Array.from({ length: 10 }, (_, i) => `m${i}`);
    // Ten tries of 2 credits each: m0 (cap 200) may take all its 20, the others 10 of their 20; 110 wanted of a pool of 100, so both bind.
    for (const [i, id] of ids.entries()) await member(team, id, { limits: { daily: i === 0 ? 200 : 10 } });
    const results = await Promise.all(shuffledTries(ids).map((id) => reserve(team, toolId, id).then((r) => ({ r, id }))));
    const ok = results.filter((x) => x.r.status === 201);
    for (const x of results.filter((y) => y.r.status !== 201)) {
      expect(x.r.status).toBe(402);
      expect(['spend_limit_reached', 'insufficient_credits']).toContain(x.r.body.error.code);
    }
    const perMember = new Map<string, number>();
    for (const x of ok) perMember.set(x.id, (perMember.get(x.id) ?? 0) + x.r.body.cost);
    for (const [id, spent] of perMember) expect(spent, id).toBeLessThanOrEqual(id === 'm0' ? 200 : 10);
    expect(results.some((x) => x.r.body.error?.code === 'spend_limit_reached')).toBe(true);
    // Whatever the order, the pool runs out: had it not, every member would have reached its cap, 110 credits.
    const total = ok.length * 2;
    expect(total).toBe(100);
    const balance = (await p.call('GET', `/v1/customers/${team}/balance`)).body;
    expect(balance).toMatchObject({ available: 0, reserved: total });
    const members = (await p.call('GET', `/v1/customers/${team}/members`)).body.data as { id: string; used: { day: number } }[];
    for (const m of members) expect(m.used.day, m.id).toBe(perMember.get(m.id) ?? 0);
  });

  it("never pass a member's cap when its tries come together, nor the pool when it runs out", async () => {
    const { customerId: team, toolId } = await seedCustomer(p, { credits: 60, toolCredits: 2 });
    const ids = Array.from({ length: 10 }, (_, i) => `m${i}`);
    for (const id of ids) await member(team, id, { limits: { daily: 10 } });
    // Each member's ten tries come together, so each meets its cap before the pool runs out.
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => reserve(team, toolId, ids[Math.floor(i / 10)])));
    const ok = results.filter((r) => r.status === 201);
    expect(ok.length * 2).toBe(60);
    const perMember = new Map<string, number>();
    for (const r of ok) perMember.set(r.body.memberId, (perMember.get(r.body.memberId) ?? 0) + 2);
    for (const [id, spent] of perMember) expect(spent, id).toBeLessThanOrEqual(10);
    expect(results.some((r) => r.body.error?.code === 'spend_limit_reached')).toBe(true);
    expect(results.some((r) => r.body.error?.code === 'insufficient_credits')).toBe(true);
    expect((await p.call('GET', `/v1/customers/${team}/balance`)).body).toMatchObject({ available: 0, reserved: 60 });
  });
});
