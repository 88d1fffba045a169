"""Errors as exceptions: one class per error code of the API, all `PurseError`."""

from typing import Any, Dict, Optional, Type


class PurseError(Exception):
    """An error answer from Purse, or no answer at all.

    Branch on `code` (the API's closed set: ``insufficient_credits``,
    ``spend_limit_reached``, ``too_many_in_flight``, ``generation_settled``, ``idempotency_conflict``, ``not_found``,
    ``invalid_request`` …) or on the subclass. `status` is the HTTP status;
    `details` the error's details (for ``invalid_request`` the ``field``, for
    ``insufficient_credits`` ``available`` and ``required``); `request_id` is
    Purse's id of the request, for its logs.
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: Optional[int] = None,
        details: Optional[Dict[str, Any]] = None,
        request_id: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details: Dict[str, Any] = details or {}
        self.request_id = request_id

    def __str__(self) -> str:
        where = " (HTTP %d)" % self.status if self.status is not None else ""
        return "%s%s: %s" % (self.code, where, self.message)

    def __repr__(self) -> str:
        return "%s(code=%r, status=%r, message=%r, request_id=%r)" % (
            type(self).__name__, self.code, self.status, self.message, self.request_id)


class InvalidRequestError(PurseError):
    """400 ``invalid_request``: `field` names what was wrong."""

    @property
    def field(self) -> Optional[str]:
        return self.details.get("field")


class UnauthorizedError(PurseError):
    """401 ``unauthorized``: no key, an unknown or revoked key, or an expired session."""


class InsufficientCreditsError(PurseError):
    """402 ``insufficient_credits``: the reservation was refused and nothing changed."""

    @property
    def available(self) -> Optional[int]:
        return self.details.get("available")

    @property
    def required(self) -> Optional[int]:
        return self.details.get("required")


class SpendLimitReachedError(PurseError):
    """402 ``spend_limit_reached``: the reservation would pass a spend limit; nothing changed.

    `details` has ``scope`` (``customer``, ``tool`` with ``toolId``, or ``member`` with ``memberId``), ``window``
    (``day`` or ``month``), ``limit``, ``used`` and ``required``.
    """

    @property
    def scope(self) -> Optional[str]:
        return self.details.get("scope")

    @property
    def window(self) -> Optional[str]:
        return self.details.get("window")

    @property
    def member_id(self) -> Optional[str]:
        """The team member whose limit it is (scope ``member``)."""
        return self.details.get("memberId")

    @property
    def limit(self) -> Optional[int]:
        return self.details.get("limit")

    @property
    def used(self) -> Optional[int]:
        return self.details.get("used")

    @property
    def required(self) -> Optional[int]:
        return self.details.get("required")


class TooManyInFlightError(PurseError):
    """429 ``too_many_in_flight``: the customer already holds ``maxInFlight`` generations; nothing changed."""

    @property
    def limit(self) -> Optional[int]:
        return self.details.get("limit")

    @property
    def in_flight(self) -> Optional[int]:
        return self.details.get("inFlight")


class ForbiddenError(PurseError):
    """403 ``forbidden``: e.g. a customer session used for another customer."""


class NotFoundError(PurseError):
    """404 ``not_found``."""


class ConflictError(PurseError):
    """409: the parent of the three conflict codes below."""


class IdempotencyConflictError(ConflictError):
    """409 ``idempotency_conflict``: the key (or generation id) was used with another request."""


class GenerationSettledError(ConflictError):
    """409 ``generation_settled``: the generation was already completed or failed the other way."""


class InvalidStateError(ConflictError):
    """409 ``invalid_state``."""


class AlreadyReportedError(ConflictError):
    """409 ``already_reported``: the generation's result was already reported bad (once at most)."""


class ReportWindowClosedError(ConflictError):
    """409 ``report_window_closed``: the tool's report window after completion has passed."""


class ReportLimitReachedError(PurseError):
    """402 ``report_limit_reached``: the customer made the reports its plan allows today; `details` has ``limit``."""


class ConnectionFailedError(PurseError):
    """No answer: Purse could not be reached, or the connection broke, on every attempt.

    `code` is ``connection_error`` and `status` is None. A write may or may not
    have happened; retrying it with the same generation id or idempotency key is
    safe.
    """


ERROR_CLASSES: Dict[str, Type[PurseError]] = {
    "invalid_request": InvalidRequestError,
    "unauthorized": UnauthorizedError,
    "insufficient_credits": InsufficientCreditsError,
    "spend_limit_reached": SpendLimitReachedError,
    "too_many_in_flight": TooManyInFlightError,
    "forbidden": ForbiddenError,
    "not_found": NotFoundError,
    "idempotency_conflict": IdempotencyConflictError,
    "generation_settled": GenerationSettledError,
    "invalid_state": InvalidStateError,
    "already_reported": AlreadyReportedError,
    "report_window_closed": ReportWindowClosedError,
    "report_limit_reached": ReportLimitReachedError,
}


def error_from_answer(status: int, body: Any) -> PurseError:
    """The exception for an error answer `{"error": {code, message, details?}, "requestId"}`."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        code = "internal_error" if status >= 500 else "http_error"
        return PurseError(code, "HTTP %d without an error body" % status, status)
    code = str(error.get("code") or ("internal_error" if status >= 500 else "http_error"))
    details = error.get("details") if isinstance(error.get("details"), dict) else None
    cls = ERROR_CLASSES.get(code, PurseError)
    return cls(code, str(error.get("message", "")), status, details, body.get("requestId"))


class WebhookVerificationError(Exception):
    """A webhook whose signature or timestamp does not check out: answer it with 400 and drop it."""
