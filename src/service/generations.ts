import { planReservation } from '../domain/consumption.js';
import { generationCost } from '../domain/pricing.js';
import type { Generation } from '../domain/types.js';
import type { CustomerSnapshot } from '../store/store.js';
import { decodeGenerationCursor, encodeGenerationCursor } from '../store/cursor.js';
import type { ServiceContext } from './context.js';
import { CustomerWork } from './customer-work.js';
import { alertSettings, DEFAULT_ALERTS } from './alerts.js';
import type { AlertSettings } from '../domain/events.js';
import { errors, type PurseError } from './errors.js';
import { newId } from './ids.js';
import { replayed, requestHash } from './idempotency.js';
import type { Answer } from './results.js';
import { readPage } from './paging.js';
import { classifyFailure, DEFAULT_REPORT_WINDOW_HOURS, reportDeadline, resolvePolicy, type RefundTerms } from '../domain/refunds.js';
import { termsOf } from './customer-work.js';

/** The most generation owners a context remembers (the oldest are forgotten first). */
const MAX_OWNERS = 50_000;

/**
 * Which customer holds a generation is fixed once the generation exists (an id
 * is refused to a second customer), so settling need not look it up every time:
 * the context remembers it.
 */
function rememberOwner(ctx: ServiceContext, id: string, customerId: string): void {
  const map = (ctx.generationOwners ??= new Map());
  if (map.size >= MAX_OWNERS) map.delete(map.keys().next().value!);
  map.set(id, customerId);
}

/** The customer that holds generation `id`, or not_found. */
async function ownerOf(ctx: ServiceContext, id: string): Promise<string> {
  const known = ctx.generationOwners?.get(id);
  if (known) return known;
  const gen = await ctx.store.getGeneration(id);
  if (!gen) throw errors.notFound('generation', id);
  rememberOwner(ctx, id, gen.customerId);
  return gen.customerId;
}

/** The longest a single hold or extension may run. */
export const MAX_HOLD_SECONDS = 86_400;

export interface ReserveInput {
  id?: string;
  customerId: string;
  toolId: string;
  units?: number;
  metadata?: Record<string, unknown>;
  /** The team member spending (issue 15): the team's pool pays, within the member's limits and the team's. */
  memberId?: string;
  /** A failed or reported generation of the same customer this one retries; free while the plan's free retries last. */
  retryOf?: string;
}

/**
 * Starts a generation: fixes its price and holds its whole cost, or nothing
 * (Rules 3 and 4). The generation's id is its idempotency key.
 */
export async function reserve(ctx: ServiceContext, input: ReserveInput): Promise<Answer<Generation>> {
  const units = input.units ?? 1;
  const id = input.id ?? newId('gen');
  const key = `generation:${id}`;
  const memberId = input.memberId;
  // A reservation naming no member and no retry hashes as it always did, so its retries still match.
  const hash = requestHash({
    customerId: input.customerId, toolId: input.toolId, units, metadata: input.metadata ?? null,
    ...(memberId !== undefined ? { memberId } : {}),
    ...(input.retryOf ? { retryOf: input.retryOf } : {}),
  });
  const now = ctx.clock.now();
  const generationIds = input.retryOf && input.retryOf !== id ? [id, input.retryOf] : [id];
  // The tool is read with the customer, so its price is the one in force when the write commits.
  const load = { now, generationIds, newGenerationId: id, idempotencyKey: key, toolId: input.toolId, ...(memberId !== undefined ? { memberId } : {}) };
  const answer = await ctx.store.transact<Answer<Generation> | { refused: PurseError }>(input.customerId, load, (snapshot) => {
    const tool = snapshot.tool;
    if (!tool || !tool.active) throw errors.notFound('tool', input.toolId);
    const cost = generationCost(tool.credits, units);
    if (cost === null) throw errors.invalid('units', 'the generation would cost more credits than Purse can hold');
    const refundTerms: RefundTerms = { policy: resolvePolicy(ctx.refundPolicy, tool.refundPolicy), reportWindowHours: tool.reportWindowHours ?? DEFAULT_REPORT_WINDOW_HOURS };
    const work = begin(snapshot, input.customerId, now, ctx.alerts);
    const again = replayed<Generation>(work, snapshot, key, hash);
    if (again) return again;
    if (snapshot.generations.some((g) => g.id === id) || snapshot.generationIdsTaken?.includes(id)) throw errors.idempotencyConflict(key);
    // A removed member can no longer reserve; its history stays.
    const member = memberId === undefined ? null : (work.members.get(memberId) ?? null);
    if (memberId !== undefined && (!member || member.removedAt !== null)) throw errors.memberNotFound(input.customerId, memberId, member !== null);
    const original = input.retryOf === undefined ? null : work.generations.get(input.retryOf);
    if (original === undefined || (original && original.id === id)) throw errors.invalid('retryOf', 'names no other generation of this customer');
    // Limits refuse before the balance is looked at, and change nothing (Rule 16).
    const refusal = work.limitRefusal(tool.id, cost, member);
    if (refusal?.kind === 'in_flight') throw errors.tooManyInFlight(refusal.limit, refusal.inFlight);
    if (refusal) {
      const { kind: _, ...details } = refusal;
      throw errors.spendLimitReached(details);
    }
    const plan = planReservation(work.usableGrants(), cost, now);
    if (!plan.ok) {
      const refused = errors.insufficientCredits(plan.available, plan.required);
      // Out of credits with a top-up due that no write has started (the month's limit or the
      // cooldown has passed since the last one): the refusal starts it, so a retry can succeed.
      if (work.topUpDue()) return work.finish({ refused });
      throw refused;
    }
    const generation: Generation = {
      id,
      customerId: input.customerId,
      toolId: tool.id,
      units,
      unitCredits: tool.credits,
      cost,
      status: 'reserved',
      allocations: plan.allocations,
      chargedUnits: null,
      charged: 0,
      refunded: 0,
      metadata: input.metadata ?? null,
      holdUntil: now + tool.holdSeconds * 1000,
      failureReason: null,
      failureMessage: null,
      createdAt: now,
      settledAt: null,
      memberId: memberId ?? null,
      refundTerms,
      reportedAt: null,
      retryOf: original?.id ?? null,
      freeRetry: false,
      retriedBy: null,
    };
    if (original && retriesFree(original, generation) && work.freeRetryLeft()) work.claimFreeRetry(generation, original);
    work.reserve(generation);
    const body = { ...generation, allocations: [...generation.allocations] };
    return work.finish({ statusCode: 201, body, replayed: false }, { key, requestHash: hash, statusCode: 201, response: body });
  });
  if ('refused' in answer) throw answer.refused;
  rememberOwner(ctx, id, input.customerId);
  return answer;
}

/** Charges a reserved generation, for fewer units if the job used fewer (Rule 5). */
export async function complete(ctx: ServiceContext, id: string, input: { units?: number }): Promise<Answer<Generation>> {
  return settle(ctx, id, 'complete', input, (work, gen) => {
    const units = input.units ?? gen.units;
    if (units < 1) throw errors.invalid('units', 'must be at least 1; a job that made nothing is a failure (fail it instead)');
    if (units > gen.units) throw errors.invalid('units', `may not exceed the ${gen.units} units reserved`);
    work.complete(gen, units);
    return { units };
  });
}

/**
 * A generation whose first attempt failed, or whose result was reported bad, may be retried
 * free once, with the same tool (Rule 18).
 */
function retriesFree(original: Generation, retry: Generation): boolean {
  return (original.status === 'failed' || (original.reportedAt ?? null) !== null) && !original.retriedBy && original.toolId === retry.toolId;
}

export interface FailInput {
  /** One of FAILURE_REASONS; any other text is stored as `other` with the text as the message. */
  reason?: string;
  message?: string;
}

/** Gives reserved credits back as the tool's refund policy says for the reason (Rules 6 and 18). */
export async function fail(ctx: ServiceContext, id: string, input: FailInput): Promise<Answer<Generation>> {
  return settle(ctx, id, 'fail', input, (work, gen) => {
    const failure = classifyFailure(input.reason, input.message);
    work.fail(gen, failure.reason, failure.message);
    return failure;
  });
}

/**
 * Completing and failing share their shape: load, catch up (the hold may have run
 * out), replay a repeat, refuse the other settlement, else apply.
 */
async function settle(
  ctx: ServiceContext,
  id: string,
  action: 'complete' | 'fail',
  input: object,
  apply: (work: CustomerWork, gen: Generation) => unknown,
): Promise<Answer<Generation>> {
  const customerId = await ownerOf(ctx, id);
  const key = `${action}:${id}`;
  const now = ctx.clock.now();
  return ctx.store.transact<Answer<Generation>>(customerId, { now, generationIds: [id], idempotencyKey: key }, (snapshot) => {
    const work = begin(snapshot, customerId, now, ctx.alerts);
    const gen = work.generations.get(id);
    if (!gen) throw errors.notFound('generation', id);
    const wanted = action === 'complete' ? 'completed' : 'failed';
    if (gen.status === 'reserved') {
      const effective = apply(work, gen);
      const body = snapshotOf(gen);
      return work.finish({ statusCode: 200, body, replayed: false }, { key, requestHash: requestHash(effective), statusCode: 200, response: body });
    }
    if (gen.status !== wanted) throw errors.generationSettled(id, gen.status);
    // Settled this way already: a repeat answers the first result; a different request is refused.
    const again = snapshot.idempotency ? replayed<Generation>(work, snapshot, key, repeatHash(action, gen, input, snapshot.idempotency.requestHash)) : null;
    if (again) return again;
    return work.finish({ statusCode: 200, body: snapshotOf(gen), replayed: true });
  });
}

/**
 * The hash a repeat is compared with. A failure settled before failure reasons
 * were a closed set stored its request as `{reason}` (free text, or "failed");
 * the same request repeated now still matches it and replays.
 */
function repeatHash(action: 'complete' | 'fail', gen: Generation, input: { units?: number } & FailInput, stored: string): string {
  const hash = requestHash(effectiveRequest(action, gen, input));
  if (action !== 'fail' || input.message !== undefined) return hash;
  const legacy = requestHash({ reason: input.reason ?? 'failed' });
  return stored === legacy ? legacy : hash;
}

/** The request a repeat is compared with: what the first settlement effectively asked for. */
function effectiveRequest(action: 'complete' | 'fail', gen: Generation, input: { units?: number } & FailInput): unknown {
  return action === 'complete' ? { units: input.units ?? gen.units } : classifyFailure(input.reason, input.message);
}

/** Keeps a reserved generation's credits held for `holdSeconds` more from now (Rule 7). */
export async function extend(ctx: ServiceContext, id: string, holdSeconds: number): Promise<Generation> {
  const customerId = await ownerOf(ctx, id);
  const now = ctx.clock.now();
  return ctx.store.transact(customerId, { now, generationIds: [id] }, (snapshot) => {
    const work = begin(snapshot, customerId, now, ctx.alerts);
    const gen = work.generations.get(id);
    if (!gen) throw errors.notFound('generation', id);
    if (gen.status !== 'reserved') throw errors.generationSettled(id, gen.status);
    work.extendHold(gen, now + holdSeconds * 1000);
    return work.finish(snapshotOf(gen));
  });
}

/**
 * An operator's refund of a completed generation, or of what a failure kept under its
 * refund policy (Rule 18); never more than was charged (Rule 11).
 */
export async function refund(
  ctx: ServiceContext,
  id: string,
  input: { reason: string; amount?: number },
  idempotencyKey?: string,
): Promise<Answer<Generation>> {
  return keyedWrite(ctx, id, 'refund', input, idempotencyKey, (work, gen) => {
    if (gen.status === 'reserved' || (gen.status === 'failed' && gen.charged === 0)) throw errors.notRefundable(id, gen.status);
    const refundable = gen.charged - gen.refunded;
    const amount = input.amount ?? refundable;
    if (amount > refundable || amount === 0) throw errors.refundTooLarge(id, refundable);
    work.refund(gen, amount, input.reason);
  });
}

/**
 * A write on a generation that a client may repeat under an Idempotency-Key (a
 * refund, a report): a repeat answers the first result; `apply` refuses or changes.
 */
async function keyedWrite(
  ctx: ServiceContext,
  id: string,
  action: 'refund' | 'report',
  input: object,
  idempotencyKey: string | undefined,
  apply: (work: CustomerWork, gen: Generation, now: number) => void,
): Promise<Answer<Generation>> {
  const customerId = await ownerOf(ctx, id);
  const key = idempotencyKey === undefined ? undefined : `${action}:${id}:${idempotencyKey}`;
  const hash = requestHash(input);
  const now = ctx.clock.now();
  return ctx.store.transact<Answer<Generation>>(customerId, { now, generationIds: [id], idempotencyKey: key }, (snapshot) => {
    const work = begin(snapshot, customerId, now, ctx.alerts);
    const again = replayed<Generation>(work, snapshot, key, hash);
    if (again) return again;
    const gen = work.generations.get(id);
    if (!gen) throw errors.notFound('generation', id);
    apply(work, gen, now);
    const body = snapshotOf(gen);
    return work.finish({ statusCode: 200, body, replayed: false }, key ? { key, requestHash: hash, statusCode: 200, response: body } : undefined);
  });
}

export interface ReportInput {
  reason: 'bad_result';
  note?: string;
}

/**
 * A completed generation's result reported bad (Rule 18): within its tool's report
 * window, once, and within the plan's reports per day, it refunds the tool's
 * `bad_result` percentage of the charge. With `idempotencyKey`, a repeat answers
 * the first result; without, a second report is refused.
 */
export async function report(ctx: ServiceContext, id: string, input: ReportInput, idempotencyKey?: string): Promise<Answer<Generation>> {
  return keyedWrite(ctx, id, 'report', input, idempotencyKey, (work, gen, now) => {
    if (gen.status !== 'completed') throw errors.notReportable(id, gen.status);
    if (gen.reportedAt) throw errors.alreadyReported(id, new Date(gen.reportedAt).toISOString());
    const { reportWindowHours } = termsOf(gen);
    const deadline = reportDeadline(gen.settledAt!, reportWindowHours);
    if (now > deadline) throw errors.reportWindowClosed(id, new Date(deadline).toISOString(), reportWindowHours);
    const allowance = work.reportAllowed();
    if (!allowance.allowed) throw errors.reportLimitReached(allowance.limit!);
    work.report(gen, input.note ?? null);
  });
}

/**
 * A generation as it stands; a hold that has run out is failed first.
 * `authorize` sees the owner before anything is written.
 */
export async function getGeneration(ctx: ServiceContext, id: string, authorize: (customerId: string, memberId: string | null) => void = () => {}): Promise<Generation> {
  const gen = await ctx.store.getGeneration(id);
  if (!gen) throw errors.notFound('generation', id);
  authorize(gen.customerId, gen.memberId ?? null);
  const now = ctx.clock.now();
  if (gen.status !== 'reserved' || gen.holdUntil > now) return gen;
  return ctx.store.transact(gen.customerId, { now, generationIds: [id] }, (snapshot) => {
    const work = begin(snapshot, gen.customerId, now, ctx.alerts);
    return work.finish(snapshotOf(work.generations.get(id)!));
  });
}

/** A customer's generations, newest first; only one team member's when `memberId` is given. */
export async function listGenerations(ctx: ServiceContext, customerId: string, page: { cursor?: string; limit: number }, memberId?: string) {
  return readPage(page, decodeGenerationCursor, (p) => ctx.store.listGenerations(customerId, p, memberId), encodeGenerationCursor);
}

/** Starts a write on one customer: it must exist, and time is caught up first. */
export function begin(snapshot: CustomerSnapshot, customerId: string, now: number, alertDefaults: AlertSettings = DEFAULT_ALERTS): CustomerWork {
  if (!snapshot.customer) throw errors.notFound('customer', customerId);
  const work = new CustomerWork(customerId, snapshot, now, alertSettings(snapshot.customer, alertDefaults));
  work.catchUp();
  return work;
}

function snapshotOf(gen: Generation): Generation {
  return { ...gen, allocations: [...gen.allocations] };
}
