import { hasLimits, windowBounds, windowStarts, type WindowCaps } from '../domain/limits.js';
import type { Member, MemberRole } from '../domain/types.js';
import type { ServiceContext } from './context.js';
import { catchUpIfDue, getCustomer } from './customers.js';
import { errors } from './errors.js';
import type { WindowUse } from './limits.js';

/**
 * Teams (issue 15): a team is a customer whose balance its members share. A
 * member spends from the team's pool within its own caps and the team's limits;
 * the member rows live beside the team's other rows, keyed by the team.
 */

/** The most members one team may have (each is a row read with the team). */
export const MAX_MEMBERS = 1_000;

/** A member as the API shows it: its row, and what it used of the current UTC day and month. */
export interface MemberState extends Member {
  used: WindowUse;
  windows: { day: { start: number; end: number }; month: { start: number; end: number } };
}

export interface MemberInput {
  name?: string | null;
  email?: string | null;
  role?: MemberRole;
  /** The member's own caps, whole; `{}` or null clears them. */
  limits?: WindowCaps | null;
  /** Why its limits are set, kept with them. */
  reason?: string;
}

/**
 * Adds or updates a member of team `customerId`; fields left out keep their
 * value (a new member is a `member` with no caps). Putting a removed member
 * back makes it a member again; its history was never gone.
 */
export async function putMember(ctx: ServiceContext, customerId: string, memberId: string, input: MemberInput): Promise<{ member: MemberState; created: boolean }> {
  await getCustomer(ctx, customerId);
  const before = await ctx.store.getMember(customerId, memberId);
  if (!before && (await ctx.store.listMembers(customerId)).length >= MAX_MEMBERS) throw errors.invalid('memberId', `a team has at most ${MAX_MEMBERS} members`);
  const now = ctx.clock.now();
  const limitsChanged = input.limits !== undefined;
  const member: Member = {
    customerId,
    id: memberId,
    name: input.name === undefined ? (before?.name ?? null) : input.name,
    email: input.email === undefined ? (before?.email ?? null) : input.email,
    role: input.role ?? before?.role ?? 'member',
    limits: limitsChanged ? (hasLimits(input.limits) ? { ...input.limits } : null) : (before?.limits ?? null),
    limitsReason: limitsChanged || input.reason !== undefined ? (input.reason ?? null) : (before?.limitsReason ?? null),
    createdAt: before?.createdAt ?? now,
    updatedAt: now,
    removedAt: null,
  };
  await ctx.store.putMember(member);
  return { member: (await withUsage(ctx, customerId, [member]))[0]!, created: before === null };
}

/** One member with its usage now; a removed member is still found (its history stays). */
export async function getMember(ctx: ServiceContext, customerId: string, memberId: string): Promise<MemberState> {
  await getCustomer(ctx, customerId);
  await catchUpIfDue(ctx, customerId);
  const member = await ctx.store.getMember(customerId, memberId);
  if (!member) throw errors.memberNotFound(customerId, memberId, false);
  return (await withUsage(ctx, customerId, [member]))[0]!;
}

/** Refuses a member that does not exist or was removed (before a session is minted for it). */
export async function assertActiveMember(ctx: ServiceContext, customerId: string, memberId: string): Promise<void> {
  const member = await ctx.store.getMember(customerId, memberId);
  if (!member || member.removedAt !== null) throw errors.memberNotFound(customerId, memberId, member !== null);
}

/** Every member of a team (removed ones too, marked), each with its usage this UTC day and month. */
export async function listMembers(ctx: ServiceContext, customerId: string): Promise<MemberState[]> {
  await getCustomer(ctx, customerId);
  await catchUpIfDue(ctx, customerId);
  return withUsage(ctx, customerId, await ctx.store.listMembers(customerId));
}

/** Removes a member: it can no longer reserve; its generations and ledger entries stay and still name it. */
export async function removeMember(ctx: ServiceContext, customerId: string, memberId: string): Promise<MemberState> {
  await getCustomer(ctx, customerId);
  const member = await ctx.store.getMember(customerId, memberId);
  if (!member) throw errors.memberNotFound(customerId, memberId, false);
  if (member.removedAt === null) {
    const now = ctx.clock.now();
    Object.assign(member, { removedAt: now, updatedAt: now });
    await ctx.store.putMember(member);
  }
  return (await withUsage(ctx, customerId, [member]))[0]!;
}

/** The members with what each reserved in now's UTC day and month, from the team's `member` spend windows. */
async function withUsage(ctx: ServiceContext, customerId: string, members: Member[]): Promise<MemberState[]> {
  const now = ctx.clock.now();
  const starts = windowStarts(now);
  const windows = (await ctx.store.readSpendWindows(customerId, [starts.day, starts.month])).filter((w) => w.scope === 'member' && w.windowStart === starts[w.window]);
  const bounds = windowBounds(now);
  return members.map((m) => {
    const used = { day: 0, month: 0 };
    for (const w of windows) if (w.memberId === m.id) used[w.window] = w.used;
    return { ...m, used, windows: bounds };
  });
}
