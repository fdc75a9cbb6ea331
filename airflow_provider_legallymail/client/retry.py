"""When to send a request again, and how long to wait first.

The rule that matters: a request that is not idempotent (a send) is repeated only when it provably never
reached the server; when its outcome is unknown the caller gets ``OutcomeUnknownError`` instead.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
GATEWAY_STATUSES = frozenset({502, 504})  # 503: see exceptions.NOT_PROCESSED_STATUSES


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying: attempts, one wait, and the total time spent waiting."""

    max_retries: int = 3
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    max_retry_after: float = 120.0
    max_total_wait: float = 300.0

    def backoff(self, attempt: int, rand: float | None = None) -> float:
        """Exponential backoff with equal jitter: between half and all of ``base * 2**attempt`` (capped)."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2**attempt))
        r: float = random.random() if rand is None else rand
        return float(ceiling / 2 + r * ceiling / 2)


def parse_http_date(value: str | None) -> float | None:
    """An HTTP date (``Date``, ``Retry-After``) as epoch seconds; None when absent or unreadable."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when.timestamp() if when is not None else None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds from ``now`` (epoch seconds); accepts delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    when = parse_http_date(text)
    return max(0.0, when - now) if when is not None else None


def never_reached_server(exc: BaseException) -> bool:
    """True when a ``requests`` exception proves the request was never delivered (connect failures)."""
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    seen: list[Any] = [exc]
    while seen:
        item = seen.pop()
        if isinstance(item, NewConnectionError | ConnectTimeoutError | ConnectionRefusedError):
            return True
        if isinstance(item, BaseException):
            seen.extend(arg for arg in item.args if isinstance(arg, BaseException))
            seen.extend(x for x in (getattr(item, "reason", None), item.__cause__) if x is not None)
    return False
