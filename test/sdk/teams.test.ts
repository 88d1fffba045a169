import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Purse, PurseError } from '../../sdk/src/index.js';
import { startTestPurse, TEST_API_KEY, uid, type TestPurse } from '../helpers.js';

/** Teams (issue 15) through the TypeScript SDK against a real server. */
let server: TestPurse;
let purse: Purse;
let baseUrl: string;

beforeAll(async () => {
  server = await startTestPurse();
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const address = server.app.server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  purse = new Purse({ baseUrl, apiKey: TEST_API_KEY });
});
afterAll(async () => server.close());

describe('teams through the SDK', () => {
  it('puts members, reserves as one within its limit, reads usage and spend per member, and mints a member session', async () => {
    const team = uid('team');
    const toolId = uid('tool');
    await purse.putTool(toolId, { name: 'Tool', credits: 3 });
    await purse.putCustomer(team, { name: 'Team' });
    await purse.grant(team, { amount: 30, source: 'bonus', reason: 'team plan' });
    expect(await purse.putMember(team, 'ada', { name: 'Ada', limits: { daily: 6 }, reason: 'seat' })).toMatchObject({ id: 'ada', role: 'member', limits: { daily: 6 } });
    await purse.putMember(team, 'bob', { role: 'admin' });

    const gen = await purse.reserve({ customerId: team, toolId, units: 2, memberId: 'ada' });
    expect(gen.memberId).toBe('ada');
    const refused = await purse.reserve({ customerId: team, toolId, memberId: 'ada' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PurseError);
    expect(refused).toMatchObject({ code: 'spend_limit_reached', details: { scope: 'member', memberId: 'ada' } });
    await purse.complete(gen.id);
    expect((await purse.listMembers(team)).map((m) => [m.id, m.used.day])).toEqual([
      ['ada', 6],
      ['bob', 0],
    ]);
    expect((await purse.membersReport()).filter((m) => m.customerId === team)).toEqual([{ customerId: team, memberId: 'ada', name: 'Ada', generations: 1, creditsCharged: 6, creditsRefunded: 0, creditsSpent: 6 }]);

    const session = await purse.createSession(team, undefined, 'ada');
    expect(session.memberId).toBe('ada');
    const asAda = new Purse({ baseUrl, apiKey: session.token });
    expect((await asAda.getMember(team, 'ada')).used.month).toBe(6);
    expect(await asAda.listMembers(team).catch((e: PurseError) => e.code)).toBe('forbidden');

    expect((await purse.removeMember(team, 'ada')).removedAt).not.toBeNull();
    expect(await purse.reserve({ customerId: team, toolId, memberId: 'ada' }).catch((e: PurseError) => e.details)).toEqual({ resource: 'member', id: 'ada', removed: true });
  });
});
