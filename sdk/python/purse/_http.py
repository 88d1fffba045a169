"""Sending one request, with bounded retries when a retry is safe."""

import http.client
import json
import random
import time
from typing import Any, Dict, Mapping, Optional, Tuple
from urllib.parse import urlencode, urlsplit

from ._errors import ConnectionFailedError, PurseError, error_from_answer

#: Statuses worth another attempt: rate limited, or the server or a proxy in front of it failed.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _is_refusal(status: int, data: bytes) -> bool:
    """A 429 that is the customer's in-flight cap rather than a rate limit: retrying would only wait."""
    if status != 429:
        return False
    try:
        error = json.loads(data.decode("utf-8")).get("error")
    except (ValueError, AttributeError):
        return False
    return isinstance(error, dict) and error.get("code") == "too_many_in_flight"


#: Never wait longer than this between two attempts, whatever Retry-After says.
BACKOFF_MAX_SECONDS = 10.0


class Transport:
    """One connection per request (so one client may be shared by threads), JSON in and out."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float,
        max_attempts: int,
        backoff_seconds: float,
        user_agent: str,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be an http:// or https:// URL, not %r" % base_url)
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._headers = {
            "authorization": "Bearer " + api_key,
            "accept": "application/json",
            "user-agent": user_agent,
        }

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        idempotency_key: Optional[str] = None,
        retry: bool = True,
    ) -> Any:
        """Sends the request and returns the decoded answer, or raises `PurseError`.

        With `retry` (every request whose repetition is harmless: reads, PUTs,
        and writes that carry a generation id or `idempotency_key`), a
        connection error or a 429/5xx answer is tried again, at most
        `max_attempts` times in all, with exponential backoff and jitter. The
        idempotency key is fixed before the first attempt, so every attempt
        names the same write.
        """
        target = self._prefix + path
        if query:
            pairs = [(k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in query.items() if v is not None]
            if pairs:
                target += "?" + urlencode(pairs)
        headers = dict(self._headers)
        payload: Optional[bytes] = None
        if body is not None:
            payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
            headers["content-type"] = "application/json"
        if idempotency_key is not None:
            headers["idempotency-key"] = idempotency_key
        attempts = self._max_attempts if retry else 1
        for attempt in range(1, attempts + 1):
            try:
                status, answer_headers, data = self._send(method, target, headers, payload)
            except (OSError, http.client.HTTPException) as err:
                if attempt < attempts:
                    time.sleep(self._delay(attempt, None))
                    continue
                raise ConnectionFailedError(
                    "connection_error", "%s %s got no answer after %d attempt(s): %s" % (method, path, attempt, err)
                ) from err
            # too_many_in_flight is a refusal (the customer's cap), not a rate limit: it is raised at once.
            if status in RETRY_STATUSES and attempt < attempts and not _is_refusal(status, data):
                time.sleep(self._delay(attempt, answer_headers.get("retry-after")))
                continue
            if status >= 400:
                raise error_from_answer(status, _decode(data, strict=False))
            return _decode(data, strict=True)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, target: str, headers: Dict[str, str], payload: Optional[bytes]) -> Tuple[int, Any, bytes]:
        conn: http.client.HTTPConnection
        if self._https:
            conn = http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout)
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        try:
            conn.request(method, target, body=payload, headers=headers)
            res = conn.getresponse()
            return res.status, res.headers, res.read()
        finally:
            conn.close()

    def _delay(self, attempt: int, retry_after: Optional[str]) -> float:
        """Exponential backoff with full jitter, or the server's Retry-After; never over BACKOFF_MAX_SECONDS."""
        if retry_after is not None:
            try:
                return min(max(float(retry_after), 0.0), BACKOFF_MAX_SECONDS)
            except ValueError:
                pass
        ceiling = min(self._backoff * (2 ** (attempt - 1)), BACKOFF_MAX_SECONDS)
        return random.uniform(ceiling / 2, ceiling)


def _decode(data: bytes, strict: bool) -> Any:
    """The JSON answer; a body that is not JSON is an error when `strict`, else None."""
    if not data:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        if not strict:
            return None
        raise PurseError("internal_error", "the answer is not JSON: %r" % data[:200])
