"""When to send a request again, and how long to wait first.

The rule that matters: a request that is not idempotent (a send) is repeated only when it provably never
reached the server; when its outcome is unknown the caller gets ``OutcomeUnknownError`` instead.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

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
    max_rate_limit_wait: float = 1800.0  # all of one call's waits after 429s (apart from the above)

    def backoff(self, attempt: int, rand: float | None = None) -> float:
        """Exponential backoff with equal jitter: between half and all of ``base * 2**attempt`` (capped)."""
        ceiling = self._ceiling(attempt)
        r: float = random.random() if rand is None else rand
        return float(ceiling / 2 + r * ceiling / 2)

    def waits_ahead(self, wait: float) -> float:
        """Longest all the waits can add up to when the first attempt failed, the next starts in ``wait``
        seconds and every later one fails the same way (backoff; a server's Retry-After may differ)."""
        later = sum(self._ceiling(n) for n in range(1, self.max_retries))
        return min(self.max_total_wait, wait + later)

    def _ceiling(self, attempt: int) -> float:
        return float(min(self.backoff_cap, self.backoff_base * (2**attempt)))


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
    unreached = NewConnectionError | ConnectTimeoutError | ConnectionRefusedError
    return any(isinstance(item, unreached) for item in causes(exc))


def failure_reason(exc: BaseException, host: str, timeout: tuple[float, float]) -> str:
    """What a user should read about a request that got no answer: refused, TLS, timed out, DNS..."""
    import socket
    import ssl

    import requests

    chain = list(causes(exc))
    if any(isinstance(item, socket.gaierror) for item in chain):
        return f"the host {host!r} could not be resolved (DNS)"
    if any(isinstance(item, ConnectionRefusedError) for item in chain):
        return "the connection was refused (is a server listening on that port?)"
    tls = next((item for item in chain if isinstance(item, ssl.SSLError)), None)
    if tls is not None or isinstance(exc, requests.exceptions.SSLError):
        code = getattr(tls, "reason", None) or "handshake failed"
        hint = "; does that port speak plain http?" if code == "WRONG_VERSION_NUMBER" else ""
        return f"TLS failed ({code}){hint}"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"the connection timed out after {timeout[0]:g}s"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"timed out after {timeout[1]:g}s waiting for the answer"
    innermost = chain[-1] if chain else exc
    return f"{type(exc).__name__} ({type(innermost).__name__}: {str(innermost)[:200]})"


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps (args, urllib3's ``reason``, ``__cause__``), each once."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        item = todo.pop(0)
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo.extend(arg for arg in item.args if isinstance(arg, BaseException))
        todo.extend(x for x in (getattr(item, "reason", None), item.__cause__) if isinstance(x, BaseException))
