"""The API's answers as TypedDicts: plain dicts at run time, typed for checkers.

Field names are the API's (camelCase); times are ISO 8601 strings in UTC;
credits and money amounts are ints. /openapi.json is the full statement.
"""

from typing import Any, Dict, List, Literal, Optional, TypedDict

GrantSource = Literal["plan", "addon", "bonus", "adjustment"]
GenerationStatus = Literal["reserved", "completed", "failed"]
LedgerType = Literal["grant", "reserve", "release", "charge", "refund", "expire", "void"]
SubscriptionStatus = Literal["incomplete", "active", "canceled"]
Period = Literal["day", "week", "month", "year"]


class Money(TypedDict):
    """`amount` in the currency's minor unit (cents); `currency` a lower-case ISO 4217 code."""

    amount: int
    currency: str


class Tool(TypedDict):
    id: str
    name: str
    credits: int
    unit: str
    description: Optional[str]
    holdSeconds: int
    refundPolicy: Optional[Dict[str, int]]
    """The tool's own refund percent per failure reason; reasons left out (or None) take the configured policy."""
    reportWindowHours: int
    active: bool
    createdAt: str
    updatedAt: str


class ToolPrice(TypedDict):
    credits: int
    unit: str
    effectiveAt: str


class Rollover(TypedDict):
    max: int


class WindowCaps(TypedDict, total=False):
    daily: int
    monthly: int


class Limits(TypedDict, total=False):
    """Spend limits: credits per UTC day and month, per tool, and holds at once; every field optional."""

    daily: int
    monthly: int
    tools: Dict[str, WindowCaps]
    maxInFlight: int


class Plan(TypedDict):
    id: str
    name: str
    creditsPerPeriod: int
    period: Period
    price: Money
    rollover: Rollover
    limits: Optional[Limits]
    freeRetriesPerPeriod: Optional[int]
    """Failed or reported generations a subscriber may retry free each period; None: unlimited."""
    maxReportsPerDay: Optional[int]
    """Results a subscriber may report bad each UTC day; None: unlimited."""
    description: Optional[str]
    active: bool
    createdAt: str
    updatedAt: str


class Pack(TypedDict):
    id: str
    name: str
    credits: int
    price: Money
    expiresInDays: Optional[int]
    description: Optional[str]
    active: bool
    createdAt: str
    updatedAt: str


class PricingPlan(TypedDict):
    id: str
    name: str
    creditsPerPeriod: int
    period: str
    price: Money
    rollover: Rollover
    description: Optional[str]


class PricingPack(TypedDict):
    id: str
    name: str
    credits: int
    price: Money
    expiresInDays: Optional[int]
    description: Optional[str]


class PricingTool(TypedDict):
    id: str
    name: str
    credits: int
    unit: str
    description: Optional[str]


class Pricing(TypedDict):
    plans: List[PricingPlan]
    packs: List[PricingPack]
    tools: List[PricingTool]


class Customer(TypedDict):
    id: str
    name: Optional[str]
    email: Optional[str]
    metadata: Optional[Dict[str, Any]]
    createdAt: str
    updatedAt: str


class Session(TypedDict):
    """A customer session token for a front end, and when it expires."""

    token: str
    customerId: str
    #: For a team: the member the session is for; None for the whole customer.
    memberId: Optional[str]
    expiresAt: str


class Subscription(TypedDict):
    id: str
    customerId: str
    planId: str
    status: SubscriptionStatus
    currentPeriodStart: str
    currentPeriodEnd: str
    cancelAtPeriodEnd: bool
    pendingPlanId: Optional[str]
    drivenBy: Literal["purse", "stripe"]
    createdAt: str
    canceledAt: Optional[str]
    changeReason: Optional[str]


class SubscriptionChange(Subscription):
    """The subscription after a change; `effect` says what happened, `checkoutUrl` is set with Stripe."""

    checkoutUrl: Optional[str]
    effect: str


class Grant(TypedDict):
    id: str
    customerId: str
    source: GrantSource
    amount: int
    remaining: int
    expiresAt: Optional[str]
    priority: int
    reason: Optional[str]
    voidedAt: Optional[str]
    createdAt: str
    paid: int
    """The money its credits cost the customer, in `currency`'s minor unit; 0 for bonus and adjustment credits."""
    currency: Optional[str]


class Purchase(TypedDict):
    id: str
    customerId: str
    packId: str
    credits: int
    price: Money
    status: Literal["pending", "paid", "refunded", "canceled"]
    provider: Literal["sandbox", "stripe"]
    checkoutUrl: Optional[str]
    grantId: Optional[str]
    createdAt: str
    paidAt: Optional[str]
    refundedAt: Optional[str]
    autoTopUp: bool
    """Bought by auto top-up rather than by the customer; a top-up that could not be paid is ``canceled``."""


class MonthlyLimit(TypedDict):
    """Per UTC calendar month; ``amount`` in the pack currency's minor unit; None: no limit."""

    purchases: Optional[int]
    amount: Optional[int]


class TopUpPrice(TypedDict):
    credits: int
    price: Money


class TopUpMonth(TypedDict):
    month: str
    purchases: int
    amount: int


class TopUpFailure(TypedDict):
    purchaseId: str
    reason: str
    at: str


class TopUpState(TypedDict):
    armed: bool
    failuresInRow: int
    pendingPurchaseId: Optional[str]
    lastTopUpAt: Optional[str]
    lastFailure: Optional[TopUpFailure]


class AutoTopUp(TypedDict):
    """A customer's auto top-up: settings (None when never set), this month's top-ups, and its state."""

    customerId: str
    enabled: bool
    threshold: Optional[int]
    packId: Optional[str]
    quantity: Optional[int]
    monthlyLimit: MonthlyLimit
    cooldownSeconds: Optional[int]
    topUp: Optional[TopUpPrice]
    reason: Optional[str]
    thisMonth: TopUpMonth
    state: TopUpState


class Allocation(TypedDict):
    grantId: str
    amount: int


class Generation(TypedDict):
    id: str
    customerId: str
    toolId: str
    status: GenerationStatus
    units: int
    unitCredits: int
    cost: int
    chargedUnits: Optional[int]
    charged: int
    refunded: int
    allocations: List[Allocation]
    metadata: Optional[Dict[str, Any]]
    holdUntil: str
    failureReason: Optional[str]
    """One of provider_error, timeout, safety_blocked, user_canceled, bad_result, other."""
    failureMessage: Optional[str]
    reportedAt: Optional[str]
    retryOf: Optional[str]
    freeRetry: bool
    createdAt: str
    settledAt: Optional[str]
    #: The team member who spent it; None when none.
    memberId: Optional[str]


class BreakdownLine(TypedDict):
    source: GrantSource
    available: int
    expiresAt: Optional[str]


class BalanceSubscription(TypedDict):
    planId: str
    status: SubscriptionStatus
    currentPeriodEnd: str
    cancelAtPeriodEnd: bool
    pendingPlanId: Optional[str]


class Balance(TypedDict):
    """`available` can be reserved now; `reserved` is held by running generations."""

    customerId: str
    available: int
    reserved: int
    breakdown: List[BreakdownLine]
    subscription: Optional[BalanceSubscription]
    asOf: str


class LedgerEntry(TypedDict):
    id: str
    type: LedgerType
    amount: int
    availableDelta: int
    reservedDelta: int
    money: int
    """Money the entry moved, in the grant's currency's minor unit (signed; see the README, "Books in money")."""
    grantId: str
    source: GrantSource
    generationId: Optional[str]
    toolId: Optional[str]
    #: The team member whose generation made the entry; None otherwise.
    memberId: Optional[str]
    reason: Optional[str]
    createdAt: str


class LedgerPage(TypedDict):
    """Newest first; pass `nextCursor` back for the next page (None at the end)."""

    data: List[LedgerEntry]
    nextCursor: Optional[str]


class GenerationPage(TypedDict):
    data: List[Generation]
    nextCursor: Optional[str]


class PurchasePage(TypedDict):
    data: List[Purchase]
    nextCursor: Optional[str]


class CreditAmounts(TypedDict):
    issued: int
    spent: int
    refunded: int
    expired: int
    voided: int


class CreditsDay(CreditAmounts):
    date: str


class CreditsReport(TypedDict):
    days: List[CreditsDay]
    totals: CreditAmounts


class RevenueAmounts(TypedDict):
    """Minor units of the report's currency."""

    paidIn: int
    revenue: int
    reversed: int
    refunds: int
    breakage: int
    deferred: int


class RevenueDay(RevenueAmounts):
    date: str


class RevenueReport(TypedDict):
    """Per UTC day: deferred(end) = deferred(start) + paidIn - revenue - refunds - breakage."""

    currency: str
    openingDeferred: int
    days: List[RevenueDay]
    totals: RevenueAmounts


class ToolReportLine(TypedDict):
    toolId: str
    name: str
    generations: int
    completed: int
    failed: int
    reserved: int
    failureRate: Optional[float]
    creditsCharged: int
    creditsRefunded: int


class ToolsReport(TypedDict):
    tools: List[ToolReportLine]


class OutstandingSource(TypedDict):
    source: str
    available: int


class OutstandingReport(TypedDict):
    bySource: List[OutstandingSource]
    reserved: int
    total: int


class TestClock(TypedDict):
    now: str


# Events and webhook endpoints (issue 12). Fields past these may be added by
# the server; TypedDicts do not refuse them.


class Event(TypedDict):
    """`{id: "evt_…", type, createdAt, customerId, data}`; `data` is the object as the API returns it."""

    id: str
    type: str
    createdAt: str
    customerId: Optional[str]
    data: Dict[str, Any]


class EventPage(TypedDict):
    data: List[Event]
    nextCursor: Optional[str]


class WebhookEndpoint(TypedDict, total=False):
    id: str
    url: str
    events: Optional[List[str]]
    status: Literal["enabled", "disabled"]
    description: Optional[str]
    createdAt: str


class WebhookEndpointWithSecret(WebhookEndpoint, total=False):
    """Only the answer to creating an endpoint carries its secret (`whsec_…`)."""

    secret: str


class WebhookEndpointList(TypedDict):
    data: List[WebhookEndpoint]


class WebhookDelivery(TypedDict, total=False):
    id: str
    eventId: str
    endpointId: str
    status: str
    statusCode: Optional[int]
    attempt: int
    latencyMs: Optional[int]
    createdAt: str


class WebhookDeliveryPage(TypedDict):
    data: List[WebhookDelivery]
    nextCursor: Optional[str]


class Alerts(TypedDict):
    """A customer's low-balance thresholds and how many days ahead expiring credits are announced."""

    lowBalance: List[int]
    expiringSoonDays: int


class SourcedLimit(TypedDict):
    value: int
    source: Literal["customer", "plan"]


class EffectiveToolLimits(TypedDict):
    daily: Optional[SourcedLimit]
    monthly: Optional[SourcedLimit]


class EffectiveLimits(TypedDict):
    daily: Optional[SourcedLimit]
    monthly: Optional[SourcedLimit]
    tools: Dict[str, EffectiveToolLimits]
    maxInFlight: Optional[SourcedLimit]


class WindowUse(TypedDict):
    day: int
    month: int


class LimitsUse(TypedDict):
    day: int
    month: int
    tools: Dict[str, WindowUse]


class LimitsState(TypedDict):
    """A customer's limits in force (its own, else its plan's, field by field) and what is used of the current UTC day and month."""

    customerId: str
    own: Optional[Limits]
    reason: Optional[str]
    planId: Optional[str]
    effective: EffectiveLimits
    used: LimitsUse
    inFlight: int
    windows: Dict[str, Dict[str, str]]
    asOf: str


# Teams (issue 15).


class MemberUse(TypedDict):
    day: int
    month: int


class Member(TypedDict):
    """One user of a team customer: spends from the team's pool within its own limits (and the team's)."""

    customerId: str
    id: str
    name: Optional[str]
    email: Optional[str]
    role: Literal["admin", "member"]
    #: ``{"daily"?, "monthly"?}``; None: no limits of its own.
    limits: Optional[Dict[str, int]]
    limitsReason: Optional[str]
    #: Credits reserved in the current UTC day and month, net of what came back.
    used: MemberUse
    windows: Dict[str, Dict[str, str]]
    createdAt: str
    updatedAt: str
    #: When it was removed (it can no longer reserve); None while it is a member.
    removedAt: Optional[str]


class MemberSpendLine(TypedDict):
    customerId: str
    memberId: str
    name: Optional[str]
    generations: int
    creditsCharged: int
    creditsRefunded: int
    creditsSpent: int


class MembersReport(TypedDict):
    members: List[MemberSpendLine]
