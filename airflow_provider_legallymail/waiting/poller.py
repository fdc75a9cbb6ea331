"""One poller per connection per event loop, shared by every trigger waiting on that connection.

Every request goes through the existing sync hook (client, retries, error mapping, host-wide budget file)
in a worker thread (``asyncio.to_thread``): nothing blocks the event loop. The poller

- de-duplicates: one watch per (kind, id), however many waits subscribe to it;
- reads ``GET /api/emails`` / ``/api/signatures`` (25 newest) where a row proves a single-party item's
  status, so one request re-checks up to 25 waits; a changed row, a multi-recipient email and an SMS
  are fetched individually;
- is work-conserving: every free slot goes to the request most likely to see a change
  (``waiting.policy``: a hazard per kind and age, lists worth the watches they cover, minimum re-check
  intervals), paced evenly over the window so a changed row's detail is fetched within seconds;
- while a send on this host asked for a slot within the last window, starts a request only while more
  than ``reserve`` slots of the host's current request limit are free in the host-wide budget file,
  leaving them to sends; that limit is the connection's ``requests_per_minute`` as adapted to the 429s the
  host saw (``client.adaptive``), and the reserve shrinks with it (a fifth, never all of it). A host where
  no send asked for a window (a triggerer of its own) keeps no reserve: its polls may use every slot, and
  the first send that comes waits for the next slot to free up, after which the reserve is kept again.
  A host paused by a 429 has no free slot;
- absorbs 429, 5xx and network errors with exponential backoff, and reports errors that no retry can fix
  (unknown id, bad token) to the waits concerned.

Pollers are keyed by the running event loop (``dag.test()`` runs each trigger in a fresh loop) and
reference-counted: the last wait to leave cancels its poller.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from typing import Any, TypeVar

from airflow_provider_legallymail import limits
from airflow_provider_legallymail.client.budget import PollView, RequestBudget
from airflow_provider_legallymail.exceptions import (
    AuthenticationError,
    ConfigurationError,
    MethodNotAllowedError,
    PermissionDeniedError,
    RefusedError,
)
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.kinds import KINDS
from airflow_provider_legallymail.waiting.observations import (
    Observation,
    fetch_observation,
    is_settled,
    observation_fingerprint,
    row_fingerprint,
)
from airflow_provider_legallymail.waiting.policy import (
    Action,
    ApiClock,
    PollerConfig,
    RecentFeed,
    Watch,
    choose,
)
from airflow_provider_legallymail.waiting.wait import WaitSpec

log = logging.getLogger(__name__)
FATAL = (AuthenticationError, PermissionDeniedError, ConfigurationError, MethodNotAllowedError)


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
    """What one trigger receives: ``(id, observation)`` on every change, or ``(id, error)``. ``decisive``: it
    ends once each party has a final outcome toward ``spec`` (a wait; an event source wants every change)."""

    def __init__(self, spec: WaitSpec, decisive: bool = False) -> None:
        self.spec = spec
        self.decisive = decisive
        self.queue: asyncio.Queue[tuple[str, Observation | BaseException]] = asyncio.Queue()

    def deliver(self, ident: str, item: Observation | BaseException) -> None:
        self.queue.put_nowait((ident, item))

    async def next(self, timeout: float) -> tuple[str, Observation | BaseException] | None:
        return await get_within(self.queue, timeout)


DEFAULT_CONFIG = PollerConfig()
DEFAULT_CLOCK: Callable[[], ApiClock] = ApiClock
_POLLERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Poller]] = weakref.WeakKeyDictionary()


async def load_hook(conn_id: str, rate_scale: float = 1.0) -> Any:
    """The connection, read without blocking the loop, and a hook on it built in a worker thread (its request
    budget counted ``rate_scale`` times faster than real time: ``ApiClock.budget_speed``)."""
    try:
        from airflow.providers.common.compat.connection import get_async_connection
    except ImportError:  # older common-compat (Airflow 3.1 environments): the sync lookup in a thread
        from airflow.sdk import BaseHook

        conn = await asyncio.to_thread(BaseHook.get_connection, conn_id)
    else:
        conn = await get_async_connection(conn_id, hook=LegallyMailHook)
    return await asyncio.to_thread(LegallyMailHook.for_connection, conn, rate_scale=rate_scale)


@asynccontextmanager
async def shared_poller(
    conn_id: str, config: PollerConfig | None = None, clock: Callable[[], ApiClock] | None = None
) -> AsyncIterator[Poller]:
    """The running loop's poller for ``conn_id`` (started on first use, with a clock from ``clock``, default
    ``DEFAULT_CLOCK``), released on exit."""
    loop = asyncio.get_running_loop()
    pollers = _POLLERS.setdefault(loop, {})
    poller = pollers.get(conn_id)
    if poller is None:
        poller = pollers[conn_id] = Poller(conn_id, config or DEFAULT_CONFIG, clock=(clock or DEFAULT_CLOCK)())
        poller.start()
    poller.refs += 1
    try:
        yield poller
    finally:
        poller.refs -= 1
        if poller.refs == 0:
            pollers.pop(conn_id, None)
            await poller.stop()


class Poller:
    """``clock``: its API time (default: real time, following the connection's ``sandbox_speed``); ``budget``:
    what it paces its requests against (default: the hook's host budget, or the documented limit in-process
    when the connection has none)."""

    def __init__(
        self, conn_id: str, config: PollerConfig, hook: Any = None, clock: ApiClock | None = None, budget: Any = None
    ) -> None:
        self.conn_id = conn_id
        self.config = config
        self.refs = 0
        self.watches: dict[tuple[str, str], Watch] = {}
        self.requests = {"get": 0, "list": 0, "errors": 0}
        self._hook = hook
        self._fatal: BaseException | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.clock = clock or ApiClock()
        self._failures = 0
        self._reserve = 0
        self._own_budget: Any = budget
        self._last_list: dict[str, float] = {}
        self._paced_until = 0.0  # monotonic: the next non-urgent request starts no sooner
        self.feeds: list[RecentFeed] = []  # the event triggers' subscriptions to recent rows

    # -- clock (API seconds) -----------------------------------------------------------------------
    def server_clock_offset(self) -> float | None:
        """The API's clock minus ours, from its last answer's ``Date`` header (None before any answer)."""
        return None if self._hook is None else self._hook.server_clock_offset  # type: ignore[no-any-return]

    @property
    def speed(self) -> float:
        """API seconds per real second of its clock."""
        return self.clock.speed

    def now(self) -> float:
        return self.clock.now()

    async def _sleep(self, api_seconds: float, wakeable: bool = False) -> None:
        real = self.clock.real(api_seconds)
        if not wakeable:
            await asyncio.sleep(real)
            return
        self._wake.clear()
        waiter = asyncio.ensure_future(self._wake.wait())
        try:  # not wait_for: before Python 3.12 it can swallow a cancellation; and 3.10 raises asyncio's own
            await asyncio.wait({waiter}, timeout=real)  # TimeoutError
        finally:
            waiter.cancel()

    # -- subscriptions -----------------------------------------------------------------------------
    def subscribe(self, spec: WaitSpec, min_interval: float | None = None, *, decisive: bool = False) -> Subscription:
        """``decisive``: the subscriber ends at its outcome (``Subscription``), so what the items do after each
        party's outcome is final may go unseen (``Watch.decide``)."""
        sub = Subscription(spec, decisive)
        if self._fatal is not None:
            sub.deliver("*", self._fatal)
            return sub
        now = self.now()
        for ident in spec.ids:
            watch = self.watches.get((spec.kind, ident))
            if watch is None:
                watch = self.watches[(spec.kind, ident)] = Watch(spec.kind, ident, registered=now)
            watch.subscribers.add(sub)
            watch.decide(now)  # a new subscriber may wait for more than the others
            if min_interval is not None:
                watch.min_interval = min(watch.min_interval or min_interval, min_interval)
            if watch.observation is not None:
                sub.deliver(ident, watch.observation)
        self._wake.set()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        for ident in sub.spec.ids:
            watch = self.watches.get((sub.spec.kind, ident))
            if watch is not None:
                watch.subscribers.discard(sub)
                if not watch.subscribers:
                    del self.watches[(sub.spec.kind, ident)]
                else:
                    watch.decide(self.now())  # the one who waited for more may have left

    def subscribe_recent(self, feed: RecentFeed) -> RecentFeed:
        """Deliver the 25 newest rows of ``feed.kind`` at least every ``feed.interval`` API seconds."""
        self.feeds.append(feed)
        if self._fatal is not None:
            feed.deliver(self._fatal)
        self._wake.set()
        return feed

    def unsubscribe_recent(self, feed: RecentFeed) -> None:
        if feed in self.feeds:
            self.feeds.remove(feed)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"legallymail-poller-{self.conn_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        try:
            if self._hook is None:
                self._hook = await load_hook(self.conn_id, self.clock.budget_speed)
            settings = await asyncio.to_thread(lambda: self._hook.get_conn().settings)
            self.clock.follow(settings.sandbox_speed)  # on the loop: subscribe() reads the clock meanwhile
            await asyncio.to_thread(self._prepare_budget)
        except Exception as exc:  # no connection, a bad extra: every wait on it fails
            self._fail_all(exc)
            return
        while await self._step():
            pass

    def _prepare_budget(self) -> None:
        client = self._hook.get_conn()
        rpm = client.settings.requests_per_minute
        self._reserve = self.config.reserve if self.config.reserve is not None else max(1, rpm // 5)
        client.budget.background = True  # this hook's requests are polls: they do not make the host keep a reserve
        if self._own_budget is None and not client.budget.enabled:  # no host budget: the documented limit
            window = 60.0 / self.clock.budget_speed
            self._own_budget = RequestBudget(
                f"poller-{id(self)}", limits.LEGALLYMAIL_REQUESTS_PER_MINUTE, window=window
            )
            self._own_budget.background = True

    def _reserve_within(self, limit: int) -> int:
        """The slots left to sends out of the host's current (adapted) limit: a fifth of it, at least 1 (or
        the configured reserve), and never all of it, so a host slowed down to 1 request still polls."""
        reserve = self._reserve if self.config.reserve is not None else max(1, limit // 5)
        return max(0, min(reserve, limit - 1))

    def _reserve_for(self, view: PollView) -> int:
        """The slots this poller leaves free: the reserve while a send of the host asked for a slot within the
        last window, none while none did (a triggerer's host sends nothing: its polls may use the whole limit)."""
        return self._reserve_within(view.limit) if view.sends_active else 0

    def _budget(self) -> Any:
        return self._own_budget or self._hook.get_conn().budget

    async def _step(self) -> bool:
        """One request, or one wait for a slot or for something to become allowed; False once nothing can succeed."""
        now = self.now()
        budget = self._budget()
        view = await asyncio.to_thread(budget.poll_view)
        reserve = self._reserve_for(view)
        if view.free <= reserve:
            await asyncio.sleep(max(view.wait, 0.005))
            return True
        action, next_at = choose(self.watches.values(), now, self.config, self._last_list, self.feeds)
        if action is None:
            await self._sleep(min(next_at - now, self.config.cap), wakeable=True)
            return True
        pace = time.monotonic() - self._paced_until
        if not action.urgent and pace < 0:  # spread the poller's share evenly over the window
            await self._sleep(-pace * self.speed, wakeable=True)
            return True
        interval = budget.window / max(1, view.limit - reserve) if budget.enabled else 0.0
        self._paced_until = max(self._paced_until, time.monotonic() - interval) + interval  # no drift
        if budget is not self._hook.get_conn().budget:
            await asyncio.to_thread(budget.acquire)
        try:
            await self._perform(action)
            self._failures = 0
        except FATAL as exc:
            self._fail_all(exc)
            return False
        except Exception as exc:  # 429, 5xx, network: keep every wait, back off
            self.requests["errors"] += 1
            self._failures += 1
            delay = min(self.config.error_backoff_cap, 2.0 * 2 ** min(self._failures, 10))
            log.warning("LegallyMail poll failed (%s); retrying in %.0fs", exc, delay)
            await self._sleep(delay)
        return True

    async def _perform(self, action: Action) -> None:
        if action.what == "list":
            self.requests["list"] += 1
            self._last_list[action.kind] = self.now()
            method = getattr(self._hook, str(KINDS[action.kind].list))
            rows = await asyncio.to_thread(method, 25)
            self._apply_rows(action.kind, rows, self.now())
            for feed in [f for f in self.feeds if f.kind == action.kind]:
                feed.deliver(rows)
            return
        watch = action.watch
        assert watch is not None
        self.requests["get"] += 1
        try:
            observation = await asyncio.to_thread(fetch_observation, self._hook, watch.kind, watch.ident)
        except RefusedError as exc:  # this id is refused for good (404, 400, 409...);
            if isinstance(exc, FATAL):  # the account is: every wait fails
                raise
            watch.settled = True
            for sub in list(watch.subscribers):
                sub.deliver(watch.ident, exc)
            return
        self._observe(watch, observation, self.now())

    def _apply_rows(self, kind: str, rows: list[Any], now: float) -> None:
        by_id = {getattr(row, KINDS[kind].id_field): row for row in rows}
        for watch in self.watches.values():
            if watch.kind == kind and watch.list_covers():
                row = by_id.get(watch.ident)
                watch.apply_row(None if row is None else row_fingerprint(row), row is not None, now)

    def _observe(self, watch: Watch, observation: Observation, now: float) -> None:
        changed = watch.observation is None or observation_fingerprint(observation) != observation_fingerprint(
            watch.observation
        )
        watch.record(observation, now, changed)
        if is_settled(observation):
            watch.settled = True
        if changed:
            for sub in list(watch.subscribers):
                sub.deliver(watch.ident, observation)

    def _fail_all(self, exc: BaseException) -> None:
        self._fatal = exc
        for feed in list(self.feeds):
            feed.deliver(exc)
        for watch in self.watches.values():
            for sub in list(watch.subscribers):
                sub.deliver(watch.ident, exc)


def configured(**changes: Any) -> PollerConfig:
    """``DEFAULT_CONFIG`` with ``changes``."""
    return replace(DEFAULT_CONFIG, **changes)


def sped_up(speed: float) -> Callable[[], ApiClock]:
    """Clocks for a sandbox whose clock and rate window both run ``speed`` times faster (tests, benchmark)."""
    return lambda: ApiClock(speed, scales_budget=True)
