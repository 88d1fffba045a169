"""Checking a webhook's signature (the Standard Webhooks scheme)."""

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Dict, List, Mapping, Optional, Union

from ._errors import WebhookVerificationError
from ._types import Event

SECRET_PREFIX = "whsec_"
#: How far a webhook's timestamp may be from now, by default: 5 minutes.
DEFAULT_TOLERANCE_SECONDS = 300


def verify_webhook(
    body: Union[bytes, str],
    headers: Mapping[str, str],
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: Optional[float] = None,
) -> Event:
    """Checks a webhook from Purse and returns its event; raises `WebhookVerificationError` otherwise.

    `body` is the raw request body, exactly as received (parse it only after
    this check); `headers` any mapping of the request's headers (names in any
    case); `secret` the endpoint's ``whsec_…`` secret. The signature is
    ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` keyed by the secret's
    base64-decoded bytes; several space-separated signatures may be present
    (while a secret is rotated) and one match suffices. The timestamp must be
    within `tolerance` seconds of `now` (default: the current time), which
    stops replays of an old delivery.

    >>> event = verify_webhook(request.body, request.headers, os.environ["PURSE_WEBHOOK_SECRET"])
    >>> if event["type"] == "credits.low": ...
    """
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    msg_id = lower.get("webhook-id")
    timestamp = lower.get("webhook-timestamp")
    signatures = lower.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a number of seconds") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is more than %d seconds from now" % tolerance)
    expected = _sign(_secret_bytes(secret), msg_id, timestamp, raw)
    if not any(hmac.compare_digest(expected, given) for given in _v1_signatures(signatures)):
        raise WebhookVerificationError("no signature matches")
    try:
        event: Dict[str, Any] = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise WebhookVerificationError("the body is not JSON") from None
    return event  # type: ignore[return-value]


def sign_webhook(body: Union[bytes, str], msg_id: str, timestamp: int, secret: str) -> str:
    """The ``v1,…`` signature Purse sends for this body: for tests of a receiver."""
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    return "v1," + _sign(_secret_bytes(secret), msg_id, str(timestamp), raw)


def _secret_bytes(secret: str) -> bytes:
    key = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    try:
        return base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("the secret is not base64 after whsec_") from None


def _sign(key: bytes, msg_id: str, timestamp: str, body: bytes) -> str:
    signed = msg_id.encode("utf-8") + b"." + timestamp.encode("utf-8") + b"." + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def _v1_signatures(header: str) -> List[str]:
    out = []
    for part in header.split():
        version, _, value = part.partition(",")
        if version == "v1" and value:
            out.append(value)
    return out
