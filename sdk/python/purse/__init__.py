"""Purse: a Python client for the self-hostable credits system for generative-AI apps.

>>> from purse import Purse, InsufficientCreditsError
>>> purse = Purse("http://127.0.0.1:3000", "sk_…")
>>> with purse.generate("u_42", "text-to-image", units=4) as run:
...     images = render(prompt, 4)
...     run.units = len(images)
"""

__version__ = "0.1.0"

from ._client import PAGE_MAX, Purse
from ._errors import (
    ConflictError,
    ConnectionFailedError,
    ForbiddenError,
    GenerationSettledError,
    IdempotencyConflictError,
    InsufficientCreditsError,
    InvalidRequestError,
    InvalidStateError,
    NotFoundError,
    PurseError,
    UnauthorizedError,
    WebhookVerificationError,
)
from ._generate import GenerationRun
from ._types import (
    Alerts,
    Balance,
    BreakdownLine,
    CreditsReport,
    Customer,
    Event,
    EventPage,
    Generation,
    GenerationPage,
    Grant,
    LedgerEntry,
    LedgerPage,
    Money,
    OutstandingReport,
    Pack,
    Plan,
    Pricing,
    Purchase,
    PurchasePage,
    Session,
    Subscription,
    SubscriptionChange,
    Tool,
    ToolPrice,
    ToolsReport,
    WebhookDelivery,
    WebhookDeliveryPage,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
)
from ._webhooks import sign_webhook, verify_webhook

__all__ = [
    "Purse",
    "GenerationRun",
    "PAGE_MAX",
    "verify_webhook",
    "sign_webhook",
    "PurseError",
    "InvalidRequestError",
    "UnauthorizedError",
    "InsufficientCreditsError",
    "ForbiddenError",
    "NotFoundError",
    "ConflictError",
    "IdempotencyConflictError",
    "GenerationSettledError",
    "InvalidStateError",
    "ConnectionFailedError",
    "WebhookVerificationError",
    "Alerts",
    "Balance",
    "BreakdownLine",
    "CreditsReport",
    "Customer",
    "Event",
    "EventPage",
    "Generation",
    "GenerationPage",
    "Grant",
    "LedgerEntry",
    "LedgerPage",
    "Money",
    "OutstandingReport",
    "Pack",
    "Plan",
    "Pricing",
    "Purchase",
    "PurchasePage",
    "Session",
    "Subscription",
    "SubscriptionChange",
    "Tool",
    "ToolPrice",
    "ToolsReport",
    "WebhookDelivery",
    "WebhookDeliveryPage",
    "WebhookEndpoint",
    "WebhookEndpointWithSecret",
]
