"""The poller's bookkeeping: one ``Watch`` per polled id, one ``Subscription`` per waiting trigger.

A watch knows when it was last checked and last changed, whether the list endpoint proves its status,
and how urgently it should be checked again (``score``: above 0 when due, higher when more overdue).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_legallymail.waiting.decision import EXPIRY_GRACE
from airflow_provider_legallymail.waiting.observations import Observation
from airflow_provider_legallymail.waiting.targets import WaitSpec

if TYPE_CHECKING:
    from airflow_provider_legallymail.waiting.poller import PollerConfig

URGENT = 1e9
FRESH_ROW_STATUSES = frozenset({"pending", "sent", "unknown"})


class Subscription:
    """What one trigger receives: ``(id, observation)`` on every change, or ``(id, error)``."""

    def __init__(self, spec: WaitSpec) -> None:
        self.spec = spec
        self.queue: asyncio.Queue[tuple[str, Observation | BaseException]] = asyncio.Queue()

    def deliver(self, ident: str, item: Observation | BaseException) -> None:
        self.queue.put_nowait((ident, item))

    async def next(self, timeout: float) -> tuple[str, Observation | BaseException] | None:
        try:
            return await asyncio.wait_for(self.queue.get(), timeout=max(0.0, timeout))
        except TimeoutError:
            return None


@dataclass(eq=False)
class Watch:
    kind: str
    ident: str
    registered: float
    subscribers: set[Subscription] = field(default_factory=set)
    observation: Observation | None = None
    last_check: float | None = None
    changed_at: float | None = None
    min_interval: float | None = None
    row: tuple[Any, ...] | None = None
    listable: bool = True  # may still appear among the 25 newest rows of its list endpoint
    single: bool | None = None  # one recipient / one signer: a list row proves its status
    urgent: bool = False
    settled: bool = False
    expires_at: float | None = None

    def interval(self, now: float, config: PollerConfig) -> float:
        """Seconds between checks: short while fresh, growing with the time since the last change."""
        floor = config.floors.get(self.kind, 5.0)
        if self.min_interval is not None:
            floor = min(floor, self.min_interval)
        age = now - (self.changed_at if self.changed_at is not None else self.registered)
        return min(config.cap, max(floor, age * config.backoff))

    def score(self, now: float, config: PollerConfig) -> tuple[float, float]:
        """(time since its last check as a multiple of its interval: due at 1), and when it falls due."""
        if self.urgent:
            return URGENT, now
        if self.expires_at is not None:  # re-check right after a signature's expiry
            expiry_check = self.expires_at + EXPIRY_GRACE + 1.0
            if (self.last_check or 0.0) < expiry_check <= now:
                return URGENT, now
        base = self.last_check if self.last_check is not None else self.registered
        interval = self.interval(now, config)
        due_at = base + interval
        if self.expires_at is not None and (self.last_check or 0.0) < self.expires_at + EXPIRY_GRACE + 1.0:
            due_at = min(due_at, self.expires_at + EXPIRY_GRACE + 1.0)
        if now >= due_at:
            return max(1.0, (now - base) / interval), due_at
        return max(0.0, (now - base) / interval), due_at

    def list_covers(self) -> bool:
        """A list request can check this watch (an email of unknown shape counts: its row tells)."""
        if not self.listable or self.urgent or self.kind == "sms":
            return False
        return self.single is True or (self.kind == "email" and self.single is None)

    def apply_row(self, fingerprint: tuple[Any, ...] | None, present: bool, now: float) -> None:
        """Take what a list row says: unchanged (checked now), changed (fetch it), or proves nothing."""
        if not present:
            self.listable = False  # older than the 25 newest: it will never come back
            return
        if fingerprint is None:  # a multi-recipient email: the row's status is no aggregate
            self.single = False
            return
        if self.kind == "email":
            self.single = True
        if self.row is None and self.observation is None and fingerprint[0] not in FRESH_ROW_STATUSES:
            self.urgent = True  # first sight and already moved on: fetch the detail
        elif self.row is not None and fingerprint != self.row:
            self.urgent = True
            self.changed_at = now
        else:
            self.last_check = now
        self.row = fingerprint

    def record(self, observation: Observation, now: float, changed: bool) -> None:
        if changed and self.observation is not None:
            self.changed_at = now
        self.observation = observation
        self.last_check = now
        self.urgent = False
        if self.kind == "signature":
            self.single = len(observation["parties"]) == 1
            self.expires_at = observation.get("expires_at")
        elif self.kind == "email":
            self.single = len(observation["parties"]) == 1
