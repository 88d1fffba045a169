"""The client: one method per route of Purse's HTTP API."""

import uuid
from typing import Any, Callable, Dict, Iterator, List, Optional, Union, cast
from urllib.parse import quote

from ._generate import GenerationRun
from ._http import Transport
from ._types import (
    Alerts,
    AutoTopUp,
    Balance,
    CreditsReport,
    Customer,
    Event,
    EventPage,
    Generation,
    GenerationPage,
    Grant,
    LedgerEntry,
    LedgerPage,
    Limits,
    LimitsState,
    Member,
    MembersReport,
    Money,
    OutstandingReport,
    RevenueReport,
    Pack,
    Plan,
    Pricing,
    Purchase,
    PurchasePage,
    Session,
    Subscription,
    SubscriptionChange,
    TestClock,
    Tool,
    ToolPrice,
    ToolsReport,
    WebhookDeliveryPage,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
)

#: The most items one page may hold (the API's own cap).
PAGE_MAX = 100


def _seg(value: str) -> str:
    """One path segment, escaped."""
    return quote(str(value), safe="")


def _new_key() -> str:
    return uuid.uuid4().hex


def _every(fetch: Callable[[Optional[str]], Any]) -> Iterator[Any]:
    """Every item of a cursor-paged list: `fetch(cursor)` gives one page."""
    cursor: Optional[str] = None
    while True:
        page = fetch(cursor)
        yield from page["data"]
        cursor = page["nextCursor"]
        if not cursor:
            return


_NULL: Any = object()
"""A field sent as JSON null (None means "not given")."""


def _fields(**fields: Any) -> Dict[str, Any]:
    """The fields that were given (None means "not given"; `_NULL` sends null)."""
    return {k: (None if v is _NULL else v) for k, v in fields.items() if v is not None}


class Purse:
    """A client for Purse's HTTP API.

    `api_key` is a secret key (``sk_…``) or a customer session token (``cs_…``).
    Reads, PUTs and every write that names itself (a generation's id, an
    ``Idempotency-Key`` the client makes before the first attempt) are retried
    on connection errors, 429 and 5xx, at most `max_attempts` times in all,
    with exponential backoff from `backoff_seconds`. Errors raise `PurseError`.
    One client may be shared by threads.

    >>> purse = Purse("http://127.0.0.1:3000", os.environ["PURSE_API_KEY"])
    >>> with purse.generate("u_42", "text-to-image", units=4) as run:
    ...     images = render(prompt, 4)
    ...     run.units = len(images)   # charge only what was made
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        max_attempts: int = 3,
        backoff_seconds: float = 0.25,
    ) -> None:
        from . import __version__

        self._http = Transport(
            base_url,
            api_key,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff_seconds=backoff_seconds,
            user_agent="purse-python/" + __version__,
        )

    def _get(self, path: str, query: Optional[Dict[str, Any]] = None) -> Any:
        return self._http.request("GET", path, query=query)

    # Catalog: tools, plans, packs, pricing

    def put_tool(
        self,
        tool_id: str,
        *,
        name: str,
        credits: int,
        unit: Optional[str] = None,
        description: Optional[str] = None,
        hold_seconds: Optional[int] = None,
        refund_policy: Optional[Dict[str, int]] = None,
        report_window_hours: Optional[int] = None,
        active: Optional[bool] = None,
    ) -> Tool:
        """Creates or updates a tool: `credits` per `unit` (``generation`` by default).

        `refund_policy` maps failure reasons to the percent of the cost a failure gives back
        (``{"safety_blocked": 0}``); reasons left out take the configured policy.
        """
        body = _fields(
            name=name,
            credits=credits,
            unit=unit,
            description=description,
            holdSeconds=hold_seconds,
            refundPolicy=refund_policy,
            reportWindowHours=report_window_hours,
            active=active,
        )
        return cast(Tool, self._http.request("PUT", "/v1/tools/" + _seg(tool_id), body=body))

    def get_tool(self, tool_id: str) -> Tool:
        return cast(Tool, self._get("/v1/tools/" + _seg(tool_id)))

    def list_tools(self) -> List[Tool]:
        return cast(List[Tool], self._get("/v1/tools")["data"])

    def tool_prices(self, tool_id: str) -> List[ToolPrice]:
        """A tool's price history, as each price took effect."""
        return cast(List[ToolPrice], self._get("/v1/tools/%s/prices" % _seg(tool_id))["data"])

    def put_plan(
        self,
        plan_id: str,
        *,
        name: str,
        credits_per_period: int,
        price: Money,
        period: Optional[str] = None,
        rollover_max: Optional[int] = None,
        limits: Optional[Limits] = None,
        free_retries_per_period: Union[int, str, None] = None,
        max_reports_per_day: Union[int, str, None] = None,
        description: Optional[str] = None,
        active: Optional[bool] = None,
    ) -> Plan:
        """Creates or updates a plan; `price` is ``{"amount": cents, "currency": "usd"}``.

        `free_retries_per_period` (0 by default) and `max_reports_per_day` (unlimited by default)
        take a number, or ``"unlimited"``.
        """
        unlimited = {"unlimited": _NULL}
        body = _fields(
            name=name,
            creditsPerPeriod=credits_per_period,
            price=price,
            period=period,
            rollover=None if rollover_max is None else {"max": rollover_max},
            limits=limits,
            freeRetriesPerPeriod=unlimited.get(free_retries_per_period, free_retries_per_period) if isinstance(free_retries_per_period, str) else free_retries_per_period,
            maxReportsPerDay=unlimited.get(max_reports_per_day, max_reports_per_day) if isinstance(max_reports_per_day, str) else max_reports_per_day,
            description=description,
            active=active,
        )
        return cast(Plan, self._http.request("PUT", "/v1/plans/" + _seg(plan_id), body=body))

    def list_plans(self) -> List[Plan]:
        return cast(List[Plan], self._get("/v1/plans")["data"])

    def put_pack(
        self,
        pack_id: str,
        *,
        name: str,
        credits: int,
        price: Money,
        expires_in_days: Optional[int] = None,
        description: Optional[str] = None,
        active: Optional[bool] = None,
    ) -> Pack:
        """Creates or updates an add-on credit pack (never expires unless `expires_in_days`)."""
        body = _fields(name=name, credits=credits, price=price, expiresInDays=expires_in_days, description=description, active=active)
        return cast(Pack, self._http.request("PUT", "/v1/packs/" + _seg(pack_id), body=body))

    def list_packs(self) -> List[Pack]:
        return cast(List[Pack], self._get("/v1/packs")["data"])

    def pricing(self) -> Pricing:
        """Active plans, packs and tools with their costs (public: needs no secret key)."""
        return cast(Pricing, self._get("/v1/pricing"))

    # Customers and sessions

    def put_customer(
        self,
        customer_id: str,
        *,
        name: Optional[str] = None,
        email: Optional[str] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> Customer:
        """Creates or updates a customer; a customer must exist before anything names it."""
        body = _fields(name=name, email=email, metadata=metadata)
        return cast(Customer, self._http.request("PUT", "/v1/customers/" + _seg(customer_id), body=body))

    def get_customer(self, customer_id: str) -> Customer:
        return cast(Customer, self._get("/v1/customers/" + _seg(customer_id)))

    def search_customers(self, query: str = "", *, limit: Optional[int] = None) -> List[Customer]:
        """Customers whose id, email or name matches `query`."""
        return cast(List[Customer], self._get("/v1/customers", {"query": query, "limit": limit})["data"])

    def create_session(self, customer_id: str, *, ttl_seconds: Optional[int] = None, member_id: Optional[str] = None) -> Session:
        """A customer session for a front end: it may read this customer's credits and buy packs for it.

        With `member_id`, one team member's session: the team's balance, its own generations and usage.
        """
        path = "/v1/customers/%s/sessions" % _seg(customer_id)
        return cast(Session, self._http.request("POST", path, body=_fields(ttlSeconds=ttl_seconds, memberId=member_id)))

    # Teams

    def put_member(
        self,
        team_id: str,
        member_id: str,
        *,
        name: Optional[str] = None,
        email: Optional[str] = None,
        role: Optional[str] = None,
        limits: Optional[Dict[str, int]] = None,
        reason: Optional[str] = None,
    ) -> Member:
        """Adds or updates a member of a team customer; what is left out keeps its value. `limits={}` clears its limits."""
        body = _fields(name=name, email=email, role=role, limits=limits, reason=reason)
        return cast(Member, self._http.request("PUT", "/v1/customers/%s/members/%s" % (_seg(team_id), _seg(member_id)), body=body))

    def get_member(self, team_id: str, member_id: str) -> Member:
        """One member with its usage this UTC day and month."""
        return cast(Member, self._get("/v1/customers/%s/members/%s" % (_seg(team_id), _seg(member_id))))

    def list_members(self, team_id: str) -> List[Member]:
        """Every member of a team (removed ones too), each with its usage this UTC day and month."""
        return cast(List[Member], self._get("/v1/customers/%s/members" % _seg(team_id))["data"])

    def remove_member(self, team_id: str, member_id: str) -> Member:
        """Removes a member: it can no longer reserve; its history stays."""
        return cast(Member, self._http.request("DELETE", "/v1/customers/%s/members/%s" % (_seg(team_id), _seg(member_id))))

    # Subscriptions

    def subscribe(self, customer_id: str, plan_id: str, *, reason: Optional[str] = None) -> SubscriptionChange:
        """Subscribes or changes plan: an upgrade starts now, a downgrade at the period's end."""
        path = "/v1/customers/%s/subscription" % _seg(customer_id)
        return cast(SubscriptionChange, self._http.request("PUT", path, body=_fields(planId=plan_id, reason=reason)))

    def cancel_subscription(self, customer_id: str, *, reason: Optional[str] = None) -> Subscription:
        """Cancels at the end of the current period; credits stay usable until then."""
        path = "/v1/customers/%s/subscription" % _seg(customer_id)
        return cast(Subscription, self._http.request("DELETE", path, body=_fields(reason=reason) or None))

    def get_subscription(self, customer_id: str) -> Subscription:
        return cast(Subscription, self._get("/v1/customers/%s/subscription" % _seg(customer_id)))

    # Credits: balance, ledger, grants

    def balance(self, customer_id: str) -> Balance:
        return cast(Balance, self._get("/v1/customers/%s/balance" % _seg(customer_id)))

    def ledger(self, customer_id: str, *, cursor: Optional[str] = None, limit: Optional[int] = None) -> LedgerPage:
        """One page of ledger entries, newest first; pass `nextCursor` back as `cursor`."""
        return cast(LedgerPage, self._get("/v1/customers/%s/ledger" % _seg(customer_id), {"cursor": cursor, "limit": limit}))

    def iter_ledger(self, customer_id: str, *, page_size: int = PAGE_MAX) -> Iterator[LedgerEntry]:
        """Every ledger entry, newest first, fetched a page at a time."""
        return _every(lambda cursor: self.ledger(customer_id, cursor=cursor, limit=page_size))

    def grant(
        self,
        customer_id: str,
        *,
        amount: int,
        source: str,
        reason: str,
        expires_at: Optional[str] = None,
        priority: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Grant:
        """An operator's grant (`source` ``bonus`` or ``adjustment``), with a reason.

        Safe to retry: the idempotency key (made here when not given) is the
        same on every attempt, and the same key answers the first grant.
        """
        body = _fields(amount=amount, source=source, reason=reason, expiresAt=expires_at, priority=priority)
        path = "/v1/customers/%s/grants" % _seg(customer_id)
        return cast(Grant, self._http.request("POST", path, body=body, idempotency_key=idempotency_key or _new_key()))

    def list_grants(self, customer_id: str) -> List[Grant]:
        return cast(List[Grant], self._get("/v1/customers/%s/grants" % _seg(customer_id))["data"])

    def void_grant(self, grant_id: str, *, reason: str) -> Grant:
        """Takes back what is left of a grant; voiding it again changes nothing."""
        return cast(Grant, self._http.request("POST", "/v1/grants/%s/void" % _seg(grant_id), body={"reason": reason}))

    # Purchases

    def buy_pack(self, customer_id: str, pack_id: str, *, idempotency_key: Optional[str] = None) -> Purchase:
        """Buys a pack: paid at once by the sandbox provider, or a `checkoutUrl` from Stripe."""
        path = "/v1/customers/%s/purchases" % _seg(customer_id)
        return cast(Purchase, self._http.request("POST", path, body={"packId": pack_id}, idempotency_key=idempotency_key or _new_key()))

    def list_purchases(self, customer_id: str, *, cursor: Optional[str] = None, limit: Optional[int] = None) -> PurchasePage:
        return cast(PurchasePage, self._get("/v1/customers/%s/purchases" % _seg(customer_id), {"cursor": cursor, "limit": limit}))

    def iter_purchases(self, customer_id: str, *, page_size: int = PAGE_MAX) -> Iterator[Purchase]:
        """Every purchase of a customer, newest first, fetched a page at a time."""
        return _every(lambda cursor: self.list_purchases(customer_id, cursor=cursor, limit=page_size))

    def get_purchase(self, purchase_id: str) -> Purchase:
        return cast(Purchase, self._get("/v1/purchases/" + _seg(purchase_id)))

    def refund_purchase(self, purchase_id: str, *, reason: str) -> Purchase:
        """Refunds a sandbox purchase and takes back what is left of its credits; again changes nothing."""
        return cast(Purchase, self._http.request("POST", "/v1/purchases/%s/refund" % _seg(purchase_id), body={"reason": reason}))

    # Generations

    def reserve(
        self,
        customer_id: str,
        tool_id: str,
        *,
        units: Optional[int] = None,
        id: Optional[str] = None,
        metadata: Optional[Dict[str, Any]] = None,
        member_id: Optional[str] = None,
        retry_of: Optional[str] = None,
    ) -> Generation:
        """Reserves the whole cost of a generation, or raises `InsufficientCreditsError`.

        The id (made here when not given) is the generation's idempotency key,
        so a retry answers the first reservation instead of making a second.
        With `member_id` a member of the team `customer_id` spends, within its own limits.
        `retry_of` names a failed or reported generation this one retries: free
        (``freeRetry``) while the plan's free retries of the period last.
        """
        body = _fields(id=id or "gen_" + _new_key(), customerId=customer_id, toolId=tool_id, units=units, metadata=metadata, memberId=member_id, retryOf=retry_of)
        return cast(Generation, self._http.request("POST", "/v1/generations", body=body))

    def complete(self, generation_id: str, *, units: Optional[int] = None) -> Generation:
        """Charges the reserved credits, or only `units` of them (the rest goes back)."""
        path = "/v1/generations/%s/complete" % _seg(generation_id)
        return cast(Generation, self._http.request("POST", path, body=_fields(units=units)))

    def fail(self, generation_id: str, *, reason: Optional[str] = None, message: Optional[str] = None) -> Generation:
        """Fails a generation; the tool's refund policy for `reason` says what part of the cost goes back.

        `reason` is one of provider_error, timeout, safety_blocked, user_canceled, bad_result, other;
        any other text is kept as ``other`` with the text as the message.
        """
        path = "/v1/generations/%s/fail" % _seg(generation_id)
        return cast(Generation, self._http.request("POST", path, body=_fields(reason=reason, message=message)))

    def report(self, generation_id: str, *, note: Optional[str] = None, idempotency_key: Optional[str] = None) -> Generation:
        """Reports a completed generation's result as bad, within its tool's report window.

        Refunds the tool's ``bad_result`` percent of the charge, once. Raises `ConflictError`
        (``already_reported``, ``report_window_closed``) or `PurseError` ``report_limit_reached``.
        """
        path = "/v1/generations/%s/report" % _seg(generation_id)
        body = _fields(reason="bad_result", note=note)
        return cast(Generation, self._http.request("POST", path, body=body, idempotency_key=idempotency_key or _new_key()))

    def extend(self, generation_id: str, hold_seconds: int) -> Generation:
        """Keeps the credits held until at least `hold_seconds` from now."""
        path = "/v1/generations/%s/extend" % _seg(generation_id)
        return cast(Generation, self._http.request("POST", path, body={"holdSeconds": hold_seconds}))

    def refund(
        self,
        generation_id: str,
        *,
        reason: str,
        amount: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Generation:
        """An operator's refund of a completed generation: all that is left of the charge, or `amount`."""
        path = "/v1/generations/%s/refund" % _seg(generation_id)
        body = _fields(reason=reason, amount=amount)
        return cast(Generation, self._http.request("POST", path, body=body, idempotency_key=idempotency_key or _new_key()))

    def get_generation(self, generation_id: str) -> Generation:
        return cast(Generation, self._get("/v1/generations/" + _seg(generation_id)))

    def list_generations(self, customer_id: str, *, cursor: Optional[str] = None, limit: Optional[int] = None) -> GenerationPage:
        """One page of a customer's generations, newest first."""
        return cast(GenerationPage, self._get("/v1/customers/%s/generations" % _seg(customer_id), {"cursor": cursor, "limit": limit}))

    def iter_generations(self, customer_id: str, *, page_size: int = PAGE_MAX) -> Iterator[Generation]:
        """Every generation of a customer, newest first, fetched a page at a time."""
        return _every(lambda cursor: self.list_generations(customer_id, cursor=cursor, limit=page_size))

    def generate(
        self,
        customer_id: str,
        tool_id: str,
        *,
        units: Optional[int] = None,
        id: Optional[str] = None,
        metadata: Optional[Dict[str, Any]] = None,
        hold_seconds: Optional[int] = None,
        extend_every: Optional[float] = None,
    ) -> GenerationRun:
        """One generation as a ``with`` block.

        Entering reserves (raising `InsufficientCreditsError` before the block
        runs); while the block runs a background thread extends the hold by
        `hold_seconds` (default: the tool's own hold) every `extend_every`
        seconds (default a third of it); leaving normally completes — for
        ``run.units`` if the block set fewer — and leaving by an exception
        fails the generation, giving every credit back, and re-raises it.

        >>> with purse.generate("u_42", "video", units=30) as run:
        ...     seconds = render_video(prompt, max_seconds=30)
        ...     run.units = seconds
        >>> run.generation["charged"]
        """
        return GenerationRun(
            self,
            customer_id,
            tool_id,
            units=units,
            id=id,
            metadata=metadata,
            hold_seconds=hold_seconds,
            extend_every=extend_every,
        )

    # Reports

    def credits_report(self, *, from_: Optional[str] = None, to: Optional[str] = None) -> CreditsReport:
        """Credits issued, spent, refunded, expired and voided per day in [from, to) (the last 30 days by default)."""
        return cast(CreditsReport, self._get("/v1/reports/credits", {"from": from_, "to": to}))

    def tools_report(self, *, from_: Optional[str] = None, to: Optional[str] = None) -> ToolsReport:
        """Spend and failure rate per tool."""
        return cast(ToolsReport, self._get("/v1/reports/tools", {"from": from_, "to": to}))

    def members_report(self, *, from_: Optional[str] = None, to: Optional[str] = None) -> MembersReport:
        """Spend per team member."""
        return cast(MembersReport, self._get("/v1/reports/members", {"from": from_, "to": to}))
    def revenue_report(self, currency: str, *, from_: Optional[str] = None, to: Optional[str] = None) -> RevenueReport:
        """The books in money per day in one currency: revenue recognised, refunds, breakage and deferred revenue."""
        return cast(RevenueReport, self._get("/v1/reports/revenue", {"currency": currency, "from": from_, "to": to}))

    def outstanding_report(self) -> OutstandingReport:
        """Credits still owed to users, by source."""
        return cast(OutstandingReport, self._get("/v1/reports/outstanding"))

    # Events and webhook endpoints

    def list_events(
        self,
        *,
        customer_id: Optional[str] = None,
        type: Optional[str] = None,
        cursor: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> EventPage:
        """One page of events, newest first: for an app that polls instead of taking webhooks."""
        return cast(EventPage, self._get("/v1/events", {"customerId": customer_id, "type": type, "cursor": cursor, "limit": limit}))

    def iter_events(self, *, customer_id: Optional[str] = None, type: Optional[str] = None, page_size: int = PAGE_MAX) -> Iterator[Event]:
        """Every event that matches, newest first, fetched a page at a time."""
        return _every(lambda cursor: self.list_events(customer_id=customer_id, type=type, cursor=cursor, limit=page_size))

    def get_event(self, event_id: str) -> Event:
        return cast(Event, self._get("/v1/events/" + _seg(event_id)))

    def redeliver_event(self, event_id: str, endpoint_id: Optional[str] = None) -> Any:
        """Sends an event again, to one endpoint or to every endpoint that takes its type (receivers deduplicate by the event id)."""
        body = _fields(endpointId=endpoint_id)
        return self._http.request("POST", "/v1/events/%s/redeliver" % _seg(event_id), body=body, idempotency_key=_new_key())

    def create_webhook_endpoint(
        self,
        url: str,
        *,
        events: Optional[List[str]] = None,
        description: Optional[str] = None,
    ) -> WebhookEndpointWithSecret:
        """A URL that receives signed events (all types unless `events`); the answer's `secret` is shown only here.

        Not retried: the server keeps no idempotency record for endpoints, so a lost answer would make two."""
        body = _fields(url=url, events=events, description=description)
        return cast(WebhookEndpointWithSecret, self._http.request("POST", "/v1/webhook-endpoints", body=body, retry=False))

    def list_webhook_endpoints(self) -> List[WebhookEndpoint]:
        return cast(List[WebhookEndpoint], self._get("/v1/webhook-endpoints")["data"])

    def get_webhook_endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        return cast(WebhookEndpoint, self._get("/v1/webhook-endpoints/" + _seg(endpoint_id)))

    def update_webhook_endpoint(
        self,
        endpoint_id: str,
        *,
        url: Optional[str] = None,
        events: Optional[List[str]] = None,
        status: Optional[str] = None,
    ) -> WebhookEndpoint:
        """Changes the URL, the event types, or `status` (``enabled`` / ``disabled``)."""
        body = _fields(url=url, events=events, status=status)
        return cast(WebhookEndpoint, self._http.request("PATCH", "/v1/webhook-endpoints/" + _seg(endpoint_id), body=body))

    def delete_webhook_endpoint(self, endpoint_id: str) -> None:
        self._http.request("DELETE", "/v1/webhook-endpoints/" + _seg(endpoint_id))

    def list_webhook_deliveries(self, endpoint_id: str, *, cursor: Optional[str] = None, limit: Optional[int] = None) -> WebhookDeliveryPage:
        """Every delivery attempt to an endpoint, newest first: status, time, latency."""
        path = "/v1/webhook-endpoints/%s/deliveries" % _seg(endpoint_id)
        return cast(WebhookDeliveryPage, self._get(path, {"cursor": cursor, "limit": limit}))

    def get_limits(self, customer_id: str) -> LimitsState:
        """The spend limits in force (the customer's own, else its plan's) and what is used of the current UTC day and month."""
        return cast(LimitsState, self._get("/v1/customers/%s/limits" % _seg(customer_id)))

    def set_limits(
        self,
        customer_id: str,
        *,
        daily: Optional[int] = None,
        monthly: Optional[int] = None,
        tools: Optional[Dict[str, Dict[str, int]]] = None,
        max_in_flight: Optional[int] = None,
        reason: Optional[str] = None,
    ) -> LimitsState:
        """Replaces the customer's own limits whole; what is left out is its plan's. With no limit at all it clears them."""
        body = _fields(daily=daily, monthly=monthly, tools=tools, maxInFlight=max_in_flight, reason=reason)
        return cast(LimitsState, self._http.request("PUT", "/v1/customers/%s/limits" % _seg(customer_id), body=body))

    def get_alerts(self, customer_id: str) -> Alerts:
        return cast(Alerts, self._get("/v1/customers/%s/alerts" % _seg(customer_id)))

    def put_alerts(self, customer_id: str, *, low_balance: Optional[List[int]] = None, expiring_soon_days: Optional[int] = None) -> Alerts:
        """A customer's own low-balance thresholds and expiry notice, instead of the defaults."""
        body = _fields(lowBalance=low_balance, expiringSoonDays=expiring_soon_days)
        return cast(Alerts, self._http.request("PUT", "/v1/customers/%s/alerts" % _seg(customer_id), body=body))

    def get_auto_top_up(self, customer_id: str) -> AutoTopUp:
        """A customer's auto top-up: settings, this UTC month's top-ups, and its state."""
        return cast(AutoTopUp, self._get("/v1/customers/%s/auto-top-up" % _seg(customer_id)))

    def set_auto_top_up(
        self,
        customer_id: str,
        *,
        enabled: bool,
        threshold: int,
        pack_id: str,
        quantity: Optional[int] = None,
        monthly_purchases: Optional[int] = None,
        monthly_amount: Optional[int] = None,
        cooldown_seconds: Optional[int] = None,
        reason: Optional[str] = None,
    ) -> AutoTopUp:
        """Buys ``quantity`` x the pack whenever a write leaves the balance below ``threshold``,
        once per crossing, within the monthly limit; enabled below the threshold, it buys at once."""
        limit = _fields(purchases=monthly_purchases, amount=monthly_amount)
        body = _fields(enabled=enabled, threshold=threshold, packId=pack_id, quantity=quantity, cooldownSeconds=cooldown_seconds, reason=reason)
        if limit:
            body["monthlyLimit"] = limit
        return cast(AutoTopUp, self._http.request("PUT", "/v1/customers/%s/auto-top-up" % _seg(customer_id), body=body))

    # Operations

    def health(self) -> Dict[str, Any]:
        """``{"ok": true, "store": …}`` when the server is up."""
        return cast(Dict[str, Any], self._get("/healthz"))

    def get_test_clock(self) -> TestClock:
        """The server's test clock (only with PURSE_TEST_CLOCK=1)."""
        return cast(TestClock, self._get("/v1/test-clock"))

    def advance_test_clock(self, seconds: int) -> TestClock:
        """Moves the test clock forward; never retried, since a repeat would move it twice."""
        return cast(TestClock, self._http.request("POST", "/v1/test-clock", body={"advanceSeconds": seconds}, retry=False))

    def set_test_clock(self, now: str) -> TestClock:
        """Moves the test clock forward to `now` (ISO 8601)."""
        return cast(TestClock, self._http.request("POST", "/v1/test-clock", body={"now": now}))
