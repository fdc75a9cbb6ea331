"""The AssetWatcher side, the loop: discover items, watch them through the shared poller, announce each
transition once; and what the provider's own operators sent, read from their send ledgers.

The loop behind an event trigger: discover items, watch them through the shared poller, announce each
transition once.

What it watches, on the connection's shared poller (the sensors' poller: one per connection per event
loop, one budget, one list request serving every watcher and wait):

- the account's recent items: a feed of ``GET /api/emails`` / ``/api/signatures`` (25 newest), at least
  every ``poll_interval`` seconds; every id it shows that is not settled is then watched by id;
- what the provider's own operators sent (their send ledgers, re-read every ``LEDGER_SCAN`` seconds),
  watched by id until settled, however many newer items push it off the lists. SMS have no list endpoint:
  only SMS sent through the provider are seen.

The first start takes a baseline: what items already showed when the watcher started is recorded without
events, for every kind (a list row that proves a status records it; an item the row cannot prove is read
once, and what the API dates at or after the start, to the second, is announced). An item sent after the
start (its ledger's ``sent_at``) has no history: its current outcome is announced. Each (id, status) is
announced once: the event is yielded, then recorded in the seen-state (``seen.py``) before the next
request; a cancellation while recording waits for the write to finish.

What the provider's own operators sent, read back from their send ledgers (``delivery/ledger.py``).

Every ``SendCertifiedEmailOperator``, ``SignatureRequestOperator`` and ``SmsOperator`` try records each send
unit under ``<ledger_path>/<dag_id>/<run_id>/<task>[.<map_index>].json`` (or in shards beside it), keyed
``email:...``, ``signature:...``, ``sms:...``, with the ids the API returned once it accepted the unit.
The event triggers watch those ids by id, so an item sent through the provider is seen whatever falls
off the API's 25-item lists. Reading is sync (object storage); the triggers call it in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_provider_legallymail.delivery.ledger import accepted_units
from airflow_provider_legallymail.exceptions import RefusedError
from airflow_provider_legallymail.kinds import KINDS, LISTABLE, SIGNATURE
from airflow_provider_legallymail.waiting.events import expiry_of, is_final, payload, reached, reached_after
from airflow_provider_legallymail.waiting.observations import row_fingerprint
from airflow_provider_legallymail.waiting.policy import RecentFeed
from airflow_provider_legallymail.waiting.poller import FATAL, Poller, Subscription, get_within, shared_poller
from airflow_provider_legallymail.waiting.seen import SeenState, SeenStore
from airflow_provider_legallymail.waiting.wait import WaitSpec

log = logging.getLogger(__name__)
LEDGER_SCAN = 300.0
"""API seconds between two reads of the send ledgers."""
ROWS = ""  # the queue tag of a feed delivery (never an id)


def _wall_clock() -> float:
    return time.time()


class EventSourceError(Exception):
    """The watcher cannot go on (bad token, no connection): the message names the cause, never the token."""


@dataclass(frozen=True)
class EventSpec:
    kind: str
    statuses: tuple[str, ...]
    conn_id: str
    poll_interval: float
    ledger_path: str | None


def _row_id(kind: str, row: Any) -> str:
    return str(getattr(row, KINDS[kind].id_field))


def _row_observation(kind: str, ident: str, row: Any) -> dict[str, Any]:
    """What a single-party list row proves, as an observation ``reached`` reads."""
    status = row.status.value
    return {"kind": kind, "id": ident, "status": status, "parties": [{"who": ident, "status": status}]}


def _row_settled(row: Any) -> bool | None:
    """True when a list row proves the item settled, False when it proves it pending, None: proves nothing."""
    if row_fingerprint(row) is None:  # a multi-recipient email: the row's status is no aggregate
        return None
    return bool(row.status.is_terminal)


class EventSource:
    """Yields one payload per (id, watched status) reached; see the module docstring."""

    def __init__(self, spec: EventSpec, store: SeenStore) -> None:
        self.spec = spec
        self.store = store
        self.state = SeenState()
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.subs: dict[str, Subscription] = {}
        self.last: dict[str, Any] = {}  # latest observation per watched id
        self.expiries: dict[str, float] = {}
        self.dirty = False
        self.rows_seen = spec.kind not in LISTABLE
        self.clock: Any = _wall_clock

    async def run(self) -> AsyncIterator[dict[str, Any]]:
        self.state = await self.store.load()
        if self.state.started_at is None and not self.state.initialized:  # a new watcher: its start
            self.state.started_at = _wall_clock()
            self.dirty = True
        kind = self.spec.kind
        async with shared_poller(self.spec.conn_id) as poller:
            self.clock = poller.now
            feed = None
            if kind in LISTABLE:
                feed = poller.subscribe_recent(RecentFeed(kind, self.spec.poll_interval, self._rows))
            for ident in [*self.state.open_ids(), *sorted(self.state.baseline)]:
                self._watch(poller, ident, first_fetch=ident in self.state.baseline)
            next_scan = poller.now()
            try:
                while True:
                    if poller.now() >= next_scan:
                        await self._scan_ledgers(poller)
                        next_scan = poller.now() + LEDGER_SCAN
                    if not self.state.initialized and self.rows_seen:
                        self.state.initialized = True
                        self.dirty = True
                    async for event in self._expired(poller):
                        yield event
                    await self._save()
                    wake = min([next_scan, *self.expiries.values()]) - poller.now()
                    got = await self._next(max(0.0, wake) / poller.speed)
                    if got is None:
                        continue
                    tag, item = got
                    if tag == ROWS:
                        self._on_rows(poller, item)
                        continue
                    async for event in self._on_observation(poller, tag, item):
                        yield event
            finally:
                if feed is not None:
                    poller.unsubscribe_recent(feed)
                for sub in self.subs.values():
                    poller.unsubscribe(sub)

    async def _next(self, timeout: float) -> tuple[str, Any] | None:
        """The next delivery, or None after ``timeout`` real seconds."""
        return await get_within(self.queue, timeout)

    # -- discovery ---------------------------------------------------------------------------------
    def _rows(self, rows: list[Any] | BaseException) -> None:
        self.queue.put_nowait((ROWS, rows))

    def _watch(self, poller: Poller, ident: str, first_fetch: bool = False) -> None:
        if ident not in self.subs:
            spec = WaitSpec(self.spec.kind, (ident,), KINDS[self.spec.kind].targets[0], "all", math.inf)
            sub = poller.subscribe(spec)
            while not sub.queue.empty():  # what the poller already knew, then everything on one queue
                self.queue.put_nowait(sub.queue.get_nowait())
            sub.queue = self.queue
            self.subs[ident] = sub
        watch = poller.watches.get((self.spec.kind, ident))
        if watch is not None and watch.observation is None and (first_fetch or self.spec.kind == SIGNATURE.name):
            watch.urgent = True  # fetch its detail now (a baseline, or a signature's expires_at)

    def _unwatch(self, poller: Poller, ident: str) -> None:
        sub = self.subs.pop(ident, None)
        if sub is not None:
            poller.unsubscribe(sub)
        self.last.pop(ident, None)
        self.expiries.pop(ident, None)

    def _on_rows(self, poller: Poller, rows: list[Any] | BaseException) -> None:
        if isinstance(rows, BaseException):
            raise EventSourceError(f"LegallyMail connection {self.spec.conn_id!r}: {rows}") from None
        now = poller.now()
        for row in rows:
            ident = _row_id(self.spec.kind, row)
            if self.state.knows(ident):
                if ident in self.state.items:
                    self.state.items[ident]["at"] = now  # still listed: never forgotten while visible
                continue
            settled = _row_settled(row)
            if not self.state.initialized and settled:  # history: recorded, not announced
                self.state.finish(ident, now)
            elif not self.state.initialized and settled is None:
                self.state.baseline.add(ident)
                self._watch(poller, ident, first_fetch=True)
            elif not self.state.initialized:  # what the row proves at the start is history, for every kind
                for status in reached(_row_observation(self.spec.kind, ident, row), now):
                    self.state.mark(ident, status, now)
                self._watch(poller, ident)
            else:
                self.state.track(ident, now)
                self._watch(poller, ident)
            self.dirty = True
        self.rows_seen = True

    async def _scan_ledgers(self, poller: Poller) -> None:
        try:
            sent = await asyncio.to_thread(sent_times, self.spec.kind, self.spec.ledger_path, poller.now())
        except Exception as exc:  # unreachable storage: keep watching what is known, try again later
            log.warning("Could not read the send ledgers: %s", exc)
            return
        now = poller.now()
        start = self.state.started_at
        for ident, sent_at in sent.items():
            if self.state.knows(ident):
                continue
            if self.state.initialized or (start is not None and sent_at is not None and sent_at >= start):
                self.state.track(ident, now)
                self._watch(poller, ident)
            else:
                self.state.baseline.add(ident)
                self._watch(poller, ident, first_fetch=True)
            self.dirty = True

    # -- announcing --------------------------------------------------------------------------------
    async def _on_observation(self, poller: Poller, ident: str, seen: Any) -> AsyncIterator[dict[str, Any]]:
        if isinstance(seen, BaseException):
            if isinstance(seen, FATAL) or ident == "*":
                raise EventSourceError(f"LegallyMail connection {self.spec.conn_id!r}: {seen}") from None
            if isinstance(seen, RefusedError):  # unknown here (another account's ledger entry, deleted)
                log.info("%s %s: %s; no longer watched", self.spec.kind, ident, seen)
                self.state.finish(ident, poller.now())
                self.state.baseline.discard(ident)
                self._unwatch(poller, ident)
                self.dirty = True
            return
        self.last[ident] = seen
        async for event in self._announce(poller, ident, seen):
            yield event

    async def _announce(self, poller: Poller, ident: str, observation: Any) -> AsyncIterator[dict[str, Any]]:
        now = poller.now()
        statuses = reached(observation, now)
        if ident in self.state.baseline:  # first sight of an item found at the first start
            since = self._api_start(poller)
            for status in statuses:  # history unless the API dates it at or after the watcher's start
                if not reached_after(status, observation, since):
                    self.state.mark(ident, status, now)
            self.state.baseline.discard(ident)
            self.dirty = True
        for status in statuses:
            if status in self.spec.statuses and status not in self.state.emitted(ident):
                event = payload(status, observation, self.spec.conn_id, now)
                log.info("%s %s reached %s", self.spec.kind, ident, status)
                yield event
                self.state.mark(ident, status, now)  # the triggerer has queued the event: record it
                self.dirty = True
                await self._save()
        if is_final(observation, now, self.spec.statuses, self.state.emitted(ident)):
            self.state.finish(ident, now)
            self._unwatch(poller, ident)
            self.dirty = True
        else:
            self.state.track(ident, now)
            expiry = expiry_of(observation)
            if expiry is not None:  # announce it (when watched) and stop watching it once expired
                self.expiries[ident] = expiry

    def _api_start(self, poller: Poller) -> float | None:
        """The watcher's first start on the API's clock (its offset read at the first answer), kept."""
        if self.state.api_started_at is None and self.state.started_at is not None:
            self.state.api_started_at = self.state.started_at + (poller.server_clock_offset() or 0.0)
            self.dirty = True
        return self.state.api_started_at

    async def _expired(self, poller: Poller) -> AsyncIterator[dict[str, Any]]:
        """Signatures still pending past ``expires_at`` (the API may keep saying ``pending``)."""
        now = poller.now()
        for ident in [i for i, when in self.expiries.items() if when <= now]:
            self.expiries.pop(ident, None)
            if ident in self.last:
                async for event in self._announce(poller, ident, self.last[ident]):
                    yield event

    async def _save(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        self.state.prune(self.clock())
        task = asyncio.ensure_future(self.store.save(self.state))
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:  # stopping: finish recording what was announced, then stop
            await task
            raise


LOOKBACK = 14 * 86400.0
"""Sends older than this (seconds, by the ledger's ``finished_at``) are not looked for in the ledgers."""


def _when(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value)).timestamp() if value else None
    except ValueError:
        return None


def sent_ids(kind: str, ledger_path: str | None, now: float, lookback: float = LOOKBACK) -> list[str]:
    """Every id of ``kind`` the provider's operators sent in the last ``lookback`` seconds (sync: use a thread)."""
    return list(sent_times(kind, ledger_path, now, lookback))


def sent_times(kind: str, ledger_path: str | None, now: float, lookback: float = LOOKBACK) -> dict[str, float | None]:
    """``sent_ids`` with when each was sent (epoch, the worker's clock; None: unknown).

    When: the POST went out (``sent_at``), else the attempt started; a send finished before ``now - lookback``
    is left out.
    """
    found: list[tuple[str, float | None]] = []
    for key, last in accepted_units(ledger_path):
        if not key.startswith(f"{kind}:"):
            continue
        finished = _when(last.get("finished_at") or last.get("at"))
        if finished is not None and finished < now - lookback:
            continue
        result = last.get("result") or {}
        ident = result.get(KINDS[kind].id_field) if isinstance(result, dict) else None
        if ident:
            found.append((str(ident), _when(last.get("sent_at") or last.get("at"))))
    return dict(reversed(found))  # an id recorded twice keeps its first sending time
