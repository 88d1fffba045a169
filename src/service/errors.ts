/**
 * The closed set of error codes Purse answers with. The HTTP layer maps each to
 * one status; clients and tests branch on `code`, never on the message.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'insufficient_credits'
  | 'spend_limit_reached'
  | 'too_many_in_flight'
  | 'idempotency_conflict'
  | 'generation_settled'
  | 'already_reported'
  | 'report_window_closed'
  | 'report_limit_reached'
  | 'invalid_state'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal_error'
  | 'unavailable';

export class PurseError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'PurseError';
  }
}

/** One named constructor per failure. */
export const errors = {
  invalid: (field: string, message: string) => new PurseError('invalid_request', `${field}: ${message}`, { field }),
  unauthorized: (message = 'a valid API key or customer session is required') => new PurseError('unauthorized', message),
  forbidden: (message = 'this credential may not do that') => new PurseError('forbidden', message),
  notFound: (what: string, id: string) => new PurseError('not_found', `${what} ${id} does not exist`, { resource: what, id }),
  insufficientCredits: (available: number, required: number) =>
    new PurseError('insufficient_credits', `${required} credits are required and ${available} are available`, { available, required }),
  /** A reservation would pass a spend limit (Rule 16); `toolId` names the tool of a `tool` limit, `memberId` the member of a `member` one. */
  spendLimitReached: (d: { scope: 'customer' | 'tool' | 'member'; toolId?: string; memberId?: string; window: 'day' | 'month'; limit: number; used: number; required: number }) =>
    new PurseError(
      'spend_limit_reached',
      `${d.required} credits would pass the ${d.scope === 'tool' ? `tool ${d.toolId}'s` : d.scope === 'member' ? `member ${d.memberId}'s` : "customer's"} ${d.window === 'day' ? 'daily' : 'monthly'} limit of ${d.limit} (${d.used} used)`,
      { ...d },
    ),
  /** A team member that does not exist, or was removed (issue 15): it cannot reserve. */
  memberNotFound: (customerId: string, memberId: string, removed: boolean) =>
    new PurseError('not_found', removed ? `member ${memberId} was removed from ${customerId}` : `member ${memberId} of ${customerId} does not exist`, {
      resource: 'member',
      id: memberId,
      ...(removed ? { removed: true } : {}),
    }),
  /** One more open hold would pass the customer's maxInFlight (Rule 16). */
  tooManyInFlight: (limit: number, inFlight: number) =>
    new PurseError('too_many_in_flight', `the customer already holds ${inFlight} generations and may hold at most ${limit}`, { limit, inFlight }),
  idempotencyConflict: (key: string) =>
    new PurseError('idempotency_conflict', `${key} was already used with a different request`, { key }),
  generationSettled: (id: string, status: string) =>
    new PurseError('generation_settled', `generation ${id} is already ${status}`, { id, status }),
  /** Only a completed generation, or a failed one that kept part of its cost, can be refunded (Rules 11 and 18). */
  notRefundable: (id: string, status: string) =>
    new PurseError('invalid_state', `generation ${id} is ${status} and charged nothing; only a completed generation, or a failed one that kept part of its cost, can be refunded`, { status }),
  /** A refund may not pass what was charged (Rule 11). */
  refundTooLarge: (id: string, refundable: number) =>
    new PurseError('invalid_state', refundable === 0 ? `generation ${id} has nothing left to refund` : `only ${refundable} credits of generation ${id} can still be refunded`, { refundable }),
  /** Only a completed generation's result can be reported bad (Rule 18). */
  notReportable: (id: string, status: string) =>
    new PurseError('invalid_state', `generation ${id} is ${status}; only a completed generation's result can be reported`, { status }),
  /** A generation's result is reported bad at most once (Rule 18). */
  alreadyReported: (id: string, reportedAt: string) =>
    new PurseError('already_reported', `generation ${id} was already reported at ${reportedAt}`, { id, reportedAt }),
  /** A result is reported within its tool's window after completion, never after. */
  reportWindowClosed: (id: string, closedAt: string, reportWindowHours: number) =>
    new PurseError('report_window_closed', `generation ${id} could be reported until ${closedAt} (${reportWindowHours} hours after completion)`, { id, closedAt, reportWindowHours }),
  /** The customer's plan allows `limit` reports a day and they are used. */
  reportLimitReached: (limit: number) =>
    new PurseError('report_limit_reached', `the customer has made the ${limit} reports its plan allows today`, { limit }),
  subscriptionActive: () => new PurseError('invalid_state', 'the customer already has an active subscription'),
  /** Stripe purchases are refunded in Stripe; its charge.refunded notice does the rest. */
  refundInProvider: () => new PurseError('invalid_state', 'refund Stripe purchases in Stripe; Purse applies the charge.refunded event'),
  purchaseNotRefundable: (id: string, status: string) => new PurseError('invalid_state', `purchase ${id} is ${status}`, { status }),
  tooManyEndpoints: (max: number) => new PurseError('invalid_state', `at most ${max} webhook endpoints`, { max }),
  badCursor: () => new PurseError('invalid_request', 'cursor: is not a cursor this list gave', { field: 'cursor' }),
  rateLimited: (retryAfterSeconds: number) =>
    new PurseError('rate_limited', `too many writes from this customer's session; retry in ${retryAfterSeconds} s`, { retryAfterSeconds }),
  unavailable: (message: string) => new PurseError('unavailable', message),
};
