"""The poller's bookkeeping: one ``Watch`` per polled id, one ``Subscription`` per waiting trigger.

A watch knows when it was last checked and last changed, and whether the list endpoint proves its status;
which watch is checked next is ``waiting.schedule``'s choice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, TypeVar

from airflow_provider_legallymail.kinds import EMAIL, KINDS, SIGNATURE
from airflow_provider_legallymail.waiting.decision import party_outcome
from airflow_provider_legallymail.waiting.observations import Observation
from airflow_provider_legallymail.waiting.targets import WaitSpec

T = TypeVar("T")


async def get_within(queue: asyncio.Queue[T], timeout: float) -> T | None:
    """The queue's next item, or None after ``timeout`` real seconds.

    Not ``asyncio.wait_for``: before Python 3.12 it can swallow a cancellation that arrives as the queue
    delivers (a trigger the triggerer cancels must stop), and on 3.10 it raises asyncio's own TimeoutError.
    """
    getter = asyncio.ensure_future(queue.get())
    try:
        done, _ = await asyncio.wait({getter}, timeout=max(0.0, timeout))
    finally:
        if not getter.done():
            getter.cancel()
    return getter.result() if getter in done else None


class Subscription:
    """What one trigger receives: ``(id, observation)`` on every change, or ``(id, error)``."""

    def __init__(self, spec: WaitSpec) -> None:
        self.spec = spec
        self.queue: asyncio.Queue[tuple[str, Observation | BaseException]] = asyncio.Queue()

    def deliver(self, ident: str, item: Observation | BaseException) -> None:
        self.queue.put_nowait((ident, item))

    async def next(self, timeout: float) -> tuple[str, Observation | BaseException] | None:
        return await get_within(self.queue, timeout)


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

    def list_covers(self) -> bool:
        """A list request can check this watch (an email of unknown shape counts: its row tells)."""
        if not self.listable or self.urgent or KINDS[self.kind].list is None:
            return False
        return self.single is True or (self.kind == EMAIL.name and self.single is None)

    def apply_row(self, fingerprint: tuple[Any, ...] | None, present: bool, now: float) -> None:
        """Take what a list row says: unchanged (checked now), changed (fetch it), or proves nothing."""
        if not present:
            self.listable = False  # older than the 25 newest: it will never come back
            return
        if fingerprint is None:  # a multi-recipient email: the row's status is no aggregate
            self.single = False
            return
        if self.kind == EMAIL.name:
            self.single = True
        if self.row is None and self.observation is None and self._row_decides(str(fingerprint[0])):
            self.urgent = True  # first sight and already failed or at a waiter's target: fetch the detail
        elif self.row is None and self.observation is not None and fingerprint[0] != self._status():
            self.urgent = True  # first row since a GET, and it moved on since: fetch the detail
            self.changed_at = now
        elif self.row is not None and fingerprint != self.row:
            self.urgent = True
            self.changed_at = now
        else:
            self.last_check = now
        self.row = fingerprint

    def _row_decides(self, status: str) -> bool:
        """A row status that may end a subscriber's wait (a failure, or a target reached)."""
        party = {"who": self.ident, "status": status}
        row: Observation = {"kind": self.kind, "id": self.ident, "status": status, "parties": [party]}
        targets = {s.spec.target for s in self.subscribers} or {KINDS[self.kind].targets[0]}
        return any(party_outcome(self.kind, t, row, party, float("-inf")) for t in targets)

    def _status(self) -> str | None:
        """The single party's status in the last observation (what its list row should say)."""
        parties = (self.observation or {}).get("parties") or []
        return str(parties[0]["status"]) if len(parties) == 1 else None

    def record(self, observation: Observation, now: float, changed: bool) -> None:
        if changed and self.observation is not None:
            self.changed_at = now
        self.observation = observation
        self.last_check = now
        self.urgent = False
        if self.kind == SIGNATURE.name:
            self.single = len(observation["parties"]) == 1
            self.expires_at = observation.get("expires_at")
        elif self.kind == EMAIL.name:
            self.single = len(observation["parties"]) == 1
