"""LegallyMail's rate limit: a sliding window of accepted request times per client IP (real seconds)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most ``limit`` accepted requests per ``window`` seconds per key; ``limit=0`` disables it."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._stamps: dict[str, deque[float]] = {}
        self._shift = 0.0
        self.limit = limit
        self.window = window

    def configure(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window

    def clear(self) -> None:
        self._stamps.clear()
        self._shift = 0.0

    def elapse(self, seconds: float) -> None:
        """Behave as if ``seconds`` more real seconds had passed (lets tests skip a window)."""
        self._shift += seconds

    def _now(self) -> float:
        return self._clock() + self._shift

    def check(self, key: str) -> int | None:
        """Record an accepted request and return None, or return the whole seconds until a slot frees."""
        if self.limit <= 0:
            return None
        now = self._now()
        stamps = self._stamps.setdefault(key, deque())
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if len(stamps) >= self.limit:
            oldest = stamps[-self.limit]
            return max(1, math.ceil(oldest + self.window - now))
        stamps.append(now)
        return None
