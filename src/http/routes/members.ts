import { z } from 'zod';
import * as members from '../../service/members.js';
import { assertMemberAccess, assertTeamAdmin } from '../auth.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { Id, MemberView, Reason, WindowCapsBody, commonErrors, json, requestExample } from '../schemas.js';
import { view } from '../views.js';

export const PutMemberBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).nullable().optional(),
    email: z.email().max(320).nullable().optional(),
    role: z.enum(['admin', 'member']).optional().meta({ description: "`admin` members' sessions read every member's usage; a new member is a `member`" }),
    limits: WindowCapsBody.nullable()
      .optional()
      .meta({ description: 'Credits the member may reserve per UTC calendar day and month, whole; `{}` or null clears them. The team\'s limits apply as well' }),
    reason: Reason.optional().meta({ description: 'Why the limits are set, kept with them (the console asks for one)' }),
  })
  .meta(requestExample({ name: 'Ada Lovelace', email: 'ada@example.com', role: 'member', limits: { daily: 50, monthly: 500 }, reason: 'intern' }));
export type PutMemberBody = z.infer<typeof PutMemberBody>;

const TeamParams = z.object({ customerId: Id });
const MemberParams = z.object({ customerId: Id, memberId: Id });

/** Teams (issue 15): the members of a team customer, each spending from its pool within its own limits. */
export function memberRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  app.put('/v1/customers/:customerId/members/:memberId', {
    schema: {
      tags: ['customers'],
      operationId: 'putMember',
      summary: 'Add or update a member of a team',
      description:
        "Makes `memberId` a member of the team customer `customerId` (which must exist): it reserves from the team's balance by naming `memberId` on `POST /v1/generations`. Fields left out keep their value; a new member has role `member` and no limits. Putting a removed member back makes it a member again. Member ids follow the customer id rules.",
      params: MemberParams,
      body: PutMemberBody,
      response: { 200: json('The member, updated', MemberView), 201: json('The member, added', MemberView), ...commonErrors },
    },
    handler: async (req, reply) => {
      const { member, created } = await members.putMember(ctx, req.params.customerId, req.params.memberId, req.body);
      return reply.code(created ? 201 : 200).send(view.member(member));
    },
  });

  app.get('/v1/customers/:customerId/members/:memberId', {
    config: { access: 'customer' },
    schema: {
      tags: ['customers'],
      operationId: 'getMember',
      summary: 'A member of a team, with its usage this day and month',
      description: "A member's session may read its own; an `admin` member's session any member of its team. A removed member is still found, with `removedAt`.",
      params: MemberParams,
      response: { 200: json('The member', MemberView), ...commonErrors },
    },
    handler: async (req) => {
      assertMemberAccess(req, req.params.customerId, req.params.memberId);
      return view.member(await members.getMember(ctx, req.params.customerId, req.params.memberId));
    },
  });

  app.delete('/v1/customers/:customerId/members/:memberId', {
    schema: {
      tags: ['customers'],
      operationId: 'removeMember',
      summary: 'Remove a member from a team',
      description:
        'The member can no longer reserve (a reservation naming it answers 404 `not_found` with `resource` `member` and `removed`) and its sessions stop working; its generations and ledger entries stay and still name it. Removing it again answers the same.',
      params: MemberParams,
      response: { 200: json('The member, removed', MemberView), ...commonErrors },
    },
    handler: async (req) => view.member(await members.removeMember(ctx, req.params.customerId, req.params.memberId)),
  });

  app.get('/v1/customers/:customerId/members', {
    config: { access: 'customer' },
    schema: {
      tags: ['customers'],
      operationId: 'listMembers',
      summary: "A team's members, with each one's usage this day and month",
      description: "Every member in id order (removed ones too, with `removedAt`), each with the credits it reserved in the current UTC day and month, net of credits that came back, and its own limits. A member's session may read it only with role `admin`.",
      params: TeamParams,
      response: { 200: json('The members', z.object({ data: z.array(MemberView) })), ...commonErrors },
    },
    handler: async (req) => {
      assertTeamAdmin(req, req.params.customerId);
      return { data: (await members.listMembers(ctx, req.params.customerId)).map(view.member) };
    },
  });
}
