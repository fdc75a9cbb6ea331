"""Real time kept between two events of one watcher, so that Airflow starts one DAG run per event.

Airflow (3.0 to 3.3 at least) queues an asset-triggered run per asset and DAG as one row stamped with the
*first* event's time, and the run it then creates consumes only the events up to that time. An event that
arrives between the first event and the run's creation (the scheduler's next loop, usually a second or
two) is left out, and is consumed only by the run the *next* event starts, possibly days later
(apache/airflow#56050). Spacing a watcher's events by a few seconds lets the scheduler create each run
before the next event arrives: one run per outcome, none left waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from airflow_provider_legallymail.validation import fail

DEFAULT_EVENT_SPACING = 5.0
"""Seconds between two events of one watcher (a few of the scheduler's loops)."""


def check_spacing(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 3600:
        raise fail("event_spacing", f"{value!r} is not a number of seconds between 0 and 3600")
    return float(value)


class EventSpacing:
    """``await before()`` an event, ``after()`` once it has been taken: at least ``seconds`` apart."""

    def __init__(
        self,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self.sleep = sleep
        self.last: float | None = None

    async def before(self) -> None:
        if self.last is not None:
            delay = self.last + self.seconds - self.clock()
            if delay > 0:
                await self.sleep(delay)

    def after(self) -> None:
        self.last = self.clock()
