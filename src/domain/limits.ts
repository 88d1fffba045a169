import { DAY_MS } from './time.js';

/**
 * Spend limits and the in-flight cap (Rule 16): what a customer may reserve per
 * UTC day and month, in total and per tool, and how many holds it may have open.
 * Pure: the windows' counters come in, a refusal or nothing comes out.
 */

/** Caps on one window pair: credits reserved per UTC calendar day and month. */
export interface WindowCaps {
  daily?: number;
  monthly?: number;
}

/** A customer's own limits, or a plan's defaults; every field is optional. */
export interface Limits extends WindowCaps {
  tools?: Record<string, WindowCaps>;
  maxInFlight?: number;
}

export type LimitSource = 'customer' | 'plan';
/** One limit in force and whose it is. */
export interface SourcedLimit {
  value: number;
  source: LimitSource;
}

/** The limits in force: each field the customer's own if it set one, else its plan's. */
export interface EffectiveLimits {
  daily: SourcedLimit | null;
  monthly: SourcedLimit | null;
  tools: Record<string, { daily: SourcedLimit | null; monthly: SourcedLimit | null }>;
  maxInFlight: SourcedLimit | null;
}

export type SpendScope = 'customer' | 'tool' | 'member';
export type SpendWindowKind = 'day' | 'month';

/** What one customer reserved in one window (net of credits that came back), per scope. */
export interface SpendWindow {
  customerId: string;
  scope: SpendScope;
  /** The tool of a `tool` window; '' for the customer's total. */
  toolId: string;
  /** The team member of a `member` window (issue 15); '' otherwise. */
  memberId: string;
  window: SpendWindowKind;
  /** The window's first instant: 00:00 UTC of its day, or of the 1st of its month. */
  windowStart: number;
  used: number;
}

/** The reasons a reservation is refused by a limit, with what the error reports. */
export type LimitRefusal =
  | { kind: 'spend'; scope: SpendScope; toolId?: string; memberId?: string; window: SpendWindowKind; limit: number; used: number; required: number }
  | { kind: 'in_flight'; limit: number; inFlight: number };


/** The UTC day and month windows `at` falls in. */
export function windowStarts(at: number): Record<SpendWindowKind, number> {
  const d = new Date(at);
  return { day: Math.floor(at / DAY_MS) * DAY_MS, month: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) };
}

/** The UTC day and month windows `at` falls in, each with its end (exclusive). */
export function windowBounds(at: number): Record<SpendWindowKind, { start: number; end: number }> {
  const starts = windowStarts(at);
  const d = new Date(starts.month);
  return {
    day: { start: starts.day, end: starts.day + DAY_MS },
    month: { start: starts.month, end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) },
  };
}

/** The key a window is known by inside one customer. */
export function windowKey(w: Pick<SpendWindow, 'scope' | 'toolId' | 'memberId' | 'window' | 'windowStart'>): string {
  return `${w.scope}:${w.toolId}:${w.memberId}:${w.window}:${w.windowStart}`;
}

/** The scopes a reservation is counted in: the customer's total, its tool's, and its member's when it names one. */
export function countedScopes(toolId: string, memberId: string | null | undefined): { scope: SpendScope; toolId: string; memberId: string }[] {
  const scopes: { scope: SpendScope; toolId: string; memberId: string }[] = [
    { scope: 'customer', toolId: '', memberId: '' },
    { scope: 'tool', toolId, memberId: '' },
  ];
  if (memberId) scopes.push({ scope: 'member', toolId: '', memberId });
  return scopes;
}

/** A team member's own caps (issue 15): they apply on top of the team's limits, never instead of them. */
export interface MemberCaps {
  memberId: string;
  caps: WindowCaps;
}

const pick = (own: number | undefined, plan: number | undefined): SourcedLimit | null =>
  own !== undefined ? { value: own, source: 'customer' } : plan !== undefined ? { value: plan, source: 'plan' } : null;

/**
 * The limits in force, field by field: a customer's own value for a field
 * overrides its plan's for that field only; what it leaves out is the plan's.
 *
 * @example effectiveLimits({ daily: 50 }, { daily: 100, monthly: 1000 }) // daily 50 (customer), monthly 1000 (plan)
 */
export function effectiveLimits(own: Limits | null | undefined, plan: Limits | null | undefined): EffectiveLimits {
  const tools: EffectiveLimits['tools'] = {};
  for (const toolId of new Set([...Object.keys(plan?.tools ?? {}), ...Object.keys(own?.tools ?? {})])) {
    tools[toolId] = { daily: pick(own?.tools?.[toolId]?.daily, plan?.tools?.[toolId]?.daily), monthly: pick(own?.tools?.[toolId]?.monthly, plan?.tools?.[toolId]?.monthly) };
  }
  return { daily: pick(own?.daily, plan?.daily), monthly: pick(own?.monthly, plan?.monthly), tools, maxInFlight: pick(own?.maxInFlight, plan?.maxInFlight) };
}

/** Whether any limit is in force: only then are windows counted and loaded. */
export function hasLimits(limits: Limits | null | undefined): boolean {
  if (!limits) return false;
  return limits.daily !== undefined || limits.monthly !== undefined || limits.maxInFlight !== undefined || Object.values(limits.tools ?? {}).some((t) => t.daily !== undefined || t.monthly !== undefined);
}

/** Whether any of the limits in force caps anything: only then is a reservation counted in the windows. */
export function anyInForce(limits: EffectiveLimits): boolean {
  return limits.daily !== null || limits.monthly !== null || limits.maxInFlight !== null || Object.values(limits.tools).some((t) => t.daily !== null || t.monthly !== null);
}

/**
 * The first limit a reservation of `cost` credits of `toolId` would pass, or
 * null. The in-flight cap is checked first, then the customer's day and month,
 * then the member's (when the reservation names one), then the tool's.
 * `used` reads a window's counter (0 when absent); `subject` is the tool of a
 * `tool` window and the member of a `member` window.
 */
export function limitRefusal(
  limits: EffectiveLimits,
  toolId: string,
  cost: number,
  inFlight: number,
  used: (scope: SpendScope, subject: string, window: SpendWindowKind) => number,
  member: MemberCaps | null = null,
): LimitRefusal | null {
  if (limits.maxInFlight && inFlight + 1 > limits.maxInFlight.value) return { kind: 'in_flight', limit: limits.maxInFlight.value, inFlight };
  const own = (value: number | undefined): SourcedLimit | null => (value === undefined ? null : { value, source: 'customer' });
  const caps: [SpendScope, string, SpendWindowKind, SourcedLimit | null][] = [
    ['customer', '', 'day', limits.daily],
    ['customer', '', 'month', limits.monthly],
    ['member', member?.memberId ?? '', 'day', own(member?.caps.daily)],
    ['member', member?.memberId ?? '', 'month', own(member?.caps.monthly)],
    ['tool', toolId, 'day', limits.tools[toolId]?.daily ?? null],
    ['tool', toolId, 'month', limits.tools[toolId]?.monthly ?? null],
  ];
  for (const [scope, subject, window, cap] of caps) {
    if (!cap) continue;
    const now = used(scope, subject, window);
    const whose = scope === 'tool' ? { toolId: subject } : scope === 'member' ? { memberId: subject } : {};
    if (now + cost > cap.value) return { kind: 'spend', scope, ...whose, window, limit: cap.value, used: now, required: cost };
  }
  return null;
}
