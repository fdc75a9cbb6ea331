"""The sandbox clock (real time x speed + manual offset) and the two APIs' date formats.

Sandbox times are epoch seconds (floats). Every status is derived from this clock when it is read.
"""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timezone


class SandboxClock:
    """``now() = base + (monotonic elapsed since base) * speed + offset``; speed changes keep it continuous."""

    def __init__(
        self,
        speed: float = 1.0,
        *,
        start: float | None = None,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self.reset(speed, start=start)

    def reset(self, speed: float, *, start: float | None = None) -> None:
        self._base = self._wall() if start is None else start
        self._base_mono = self._monotonic()
        self.speed = speed
        self.offset = 0.0

    def now(self) -> float:
        return self._base + (self._monotonic() - self._base_mono) * self.speed + self.offset

    def advance(self, seconds: float) -> float:
        self.offset += seconds
        return self.now()

    def set_speed(self, factor: float) -> None:
        current = self.now() - self.offset
        self._base = current
        self._base_mono = self._monotonic()
        self.speed = factor


def lm_date(epoch: float | None, tz: str) -> str | None:
    """LegallyMail's ``"YYYY-MM-DD HH:MM:SS"`` (no zone) in the account's time zone."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, zoneinfo.ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")


def lt_date(epoch: float) -> str:
    """Legitmailer's ``"2019-06-26T05:11:47.000+0000"`` (UTC, milliseconds)."""
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()
