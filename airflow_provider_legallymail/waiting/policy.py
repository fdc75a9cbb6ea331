"""The shared poller's policy: what each watch knows, which request a free budget slot goes to, and the clock.

Which request a free budget slot is spent on (``choose``); pure: no I/O, time comes in as ``now``.

Work-conserving: whenever the poller may start a request, it starts the most valuable one that is
allowed, and idles only when every watch was checked within its minimum re-check interval.

- **Urgent first**: a watch whose list row changed (its detail is fetched for the evidence) and a
  signature just past its ``expires_at`` (the decision turns it into a failure).
- **Value of a check** = P(the item changed since its last check), from a decreasing hazard per kind
  ``h(age) = k / (age + a0)`` (age since its last change, or since it was first watched): an SMS is
  delivered within seconds, an email delivered in seconds and read later, a signature later still; the
  longer an item has stayed the same, the less likely it is to change in the next minute. A signature in
  the last ``EXPIRY_WINDOW`` before its ``expires_at`` gets the extra hazard of a deadline.
- **A list request** (``GET /api/emails`` / ``/api/signatures``, 25 newest) sees ``S`` = the sum of the
  values of the watches its rows prove, and each change it sees costs one more ``GET`` (the detail, for
  the evidence): it is worth ``S / (1 + S)`` changes per request, so it wins while it covers several
  likely changes, and an SMS due now still goes first.
- **Minimum re-check interval**: ``clamp(age * recheck, floor[kind], recheck_cap)`` per watch (the
  trigger's ``min_interval`` lowers the floor) and ``list_interval`` per list, so nothing is polled
  pointlessly when little is pending.

**Feeds** (``RecentFeed``): the event triggers need to see items they were never told about (sent from the
dashboard, or by another DAG), so besides its per-id watches the shared poller keeps *feeds*: "give me the
25 newest rows of kind X at least every N seconds". A list request serves every feed of its kind and every
watch it covers at once; ``choose`` considers them too: on the same budget, a feed's list goes first once
its shortest interval has passed since the last list of that kind.

**Watches**: one ``Watch`` per polled id (its ``Subscriber``s are the waits on it). A watch knows when it
was last checked and last changed, and whether the list endpoint proves its status; which watch is checked
next is ``choose``'s decision, the only one. ``ApiClock`` is the poller's time: real time, or a sped-up
sandbox's, injected into the poller.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from airflow_provider_legallymail.kinds import EMAIL, KINDS, SIGNATURE
from airflow_provider_legallymail.waiting.decision import EXPIRY_GRACE, party_outcome
from airflow_provider_legallymail.waiting.observations import Observation, unlisted_count
from airflow_provider_legallymail.waiting.wait import WaitSpec


@dataclass(frozen=True)
class PollerConfig:
    """Tuning of the shared poller; times are API seconds (``speed`` only differs for the sandbox)."""

    reserve: int | None = None  # budget slots left to sends; default max(1, current limit // 5)
    floors: dict[str, float] = field(default_factory=lambda: {k.name: k.poll_floor for k in KINDS.values()})
    recheck: float = 0.05  # a watch is re-checked no sooner than this fraction of its age (from its floor)
    recheck_cap: float = 300.0  # ... and that minimum never exceeds this: spare budget reaches every watch
    list_interval: float = 15.0  # the shortest interval between two requests of one list endpoint
    cap: float = 1800.0  # the longest sleep between two looks at the watches
    error_backoff_cap: float = 300.0


class ApiClock:
    """The poller's clock, in API seconds: real time for the real APIs, faster for a sped-up sandbox.

    ``speed``: API seconds per real second. ``scales_budget``: the API's rate window runs ``speed`` times
    faster too (a sandbox started with a scaled ``--rate-window``: the tests and the benchmark), so request
    budgets are counted over ``60 / speed`` real seconds. A clock left at speed 1 follows the connection's
    ``sandbox_speed`` extra (``follow``), for ages and intervals only: the budget stays per real minute.
    """

    def __init__(self, speed: float = 1.0, *, scales_budget: bool = False) -> None:
        self.speed = speed
        self.scales_budget = scales_budget
        self._set = speed != 1.0
        self._t0 = time.monotonic()
        self._t0_api = time.time()

    @property
    def budget_speed(self) -> float:
        """How many times faster than real time request budgets are counted."""
        return self.speed if self.scales_budget else 1.0

    def now(self) -> float:
        return self._t0_api + (time.monotonic() - self._t0) * self.speed

    def real(self, api_seconds: float) -> float:
        """Real seconds for ``api_seconds`` (never negative)."""
        return max(0.0, api_seconds) / self.speed if self.speed > 0 else api_seconds

    def follow(self, sandbox_speed: float) -> None:
        """Run at the connection's ``sandbox_speed`` unless a speed was set; the clock stays continuous."""
        if sandbox_speed != 1.0 and not self._set:
            now = self.now()
            self.speed = sandbox_speed
            self._t0, self._t0_api = time.monotonic(), now


URGENT = 1e9
IDLE_LOOK = 1.0
"""Seconds until the next look when requests are allowed but nothing has had time to change yet."""
EXPIRY_WINDOW = 3600.0
"""Seconds before a signature's ``expires_at`` during which its hazard rises (signers act at the last minute)."""


@dataclass(frozen=True)
class Action:
    """``what`` is ``"get"`` (``watch`` set) or ``"list"`` (``kind`` set)."""

    what: str
    kind: str
    watch: Watch | None = None
    urgent: bool = False


def _origin(watch: Watch) -> float:
    return watch.changed_at if watch.changed_at is not None else watch.registered


def expiry_check_at(watch: Watch) -> float | None:
    """When a signature must be re-checked for its expiry, if it has not been since."""
    if watch.expires_at is None:
        return None
    at = watch.expires_at + EXPIRY_GRACE + 1.0
    return at if (watch.last_check or 0.0) < at else None


def p_changed(watch: Watch, now: float) -> float:
    """P(the item changed between its last check, or its first watch, and ``now``)."""
    hazard = KINDS[watch.kind].hazard
    origin = _origin(watch)
    since = max(watch.last_check if watch.last_check is not None else origin, origin)
    a1, a2 = max(0.0, since - origin), max(0.0, now - origin)
    if a2 <= a1:
        return 0.0
    p: float = 1.0 - ((a1 + hazard.a0) / (a2 + hazard.a0)) ** hazard.k
    if watch.expires_at is not None:  # a deadline's pull: uniform over the last EXPIRY_WINDOW
        start = watch.expires_at - EXPIRY_WINDOW
        overlap = min(now, watch.expires_at) - max(since, start)
        if overlap > 0:
            p = 1.0 - (1.0 - p) * (1.0 - overlap / EXPIRY_WINDOW)
    return p


def allowed_at(watch: Watch, config: PollerConfig) -> float:
    """When ``watch`` may be checked again: its last check plus its floor, or its age then times ``recheck``."""
    if watch.last_check is None:
        return -URGENT
    floor = config.floors.get(watch.kind, 5.0)
    if watch.min_interval is not None:
        floor = min(floor, watch.min_interval)
    age = watch.last_check - _origin(watch)
    return watch.last_check + min(max(floor, age * config.recheck), max(floor, config.recheck_cap))


def choose(
    watches: Iterable[Watch],
    now: float,
    config: PollerConfig,
    last_list: Mapping[str, float],
    feeds: Iterable[RecentFeed] = (),
) -> tuple[Action | None, float]:
    """The poller's next request: the most valuable allowed one now (an urgent one first, then a feed's
    list when due: ``_with_feeds``), and (when there is none) when the next one is allowed."""
    action, next_at = _by_value(watches, now, config, last_list)
    if action is not None and action.urgent:
        return action, next_at
    return _with_feeds(list(feeds), last_list, now, action, next_at, config.list_interval)


def _by_value(
    watches: Iterable[Watch], now: float, config: PollerConfig, last_list: Mapping[str, float]
) -> tuple[Action | None, float]:
    """The most valuable allowed request now, and (when there is none) when the next one is allowed."""
    best: Action | None = None
    best_value = 0.0
    next_at = now + config.cap
    listed: dict[str, float] = {}
    for watch in watches:
        if watch.settled or watch.decided:
            continue
        expiry_at = expiry_check_at(watch)
        if watch.urgent or (expiry_at is not None and expiry_at <= now):
            return Action("get", watch.kind, watch, urgent=True), now
        if expiry_at is not None:
            next_at = min(next_at, expiry_at)
        if watch.list_covers():
            listed[watch.kind] = listed.get(watch.kind, 0.0) + p_changed(watch, now)
            continue
        allowed = allowed_at(watch, config)
        if allowed > now:
            next_at = min(next_at, allowed)
            continue
        value = p_changed(watch, now)
        next_at = min(next_at, now + IDLE_LOOK)
        if value > best_value:
            best, best_value = Action("get", watch.kind, watch), value
    for kind, total in listed.items():
        allowed = last_list.get(kind, -URGENT) + config.list_interval
        next_at = min(next_at, max(allowed, now + IDLE_LOOK))
        if allowed <= now and total / (1.0 + total) > best_value:
            best, best_value = Action("list", kind), total / (1.0 + total)
    return best, next_at


@dataclass(eq=False)
class RecentFeed:
    """One subscriber to the recent rows of ``kind``: ``deliver(rows)`` after every list of that kind."""

    kind: str
    interval: float
    deliver: Callable[[list[Any] | BaseException], None] = field(repr=False)


def _with_feeds(
    feeds: list[RecentFeed],
    last_list: Mapping[str, float],
    now: float,
    action: Action | None,
    next_at: float,
    floor: float,
) -> tuple[Action | None, float]:
    """The poller's next request once the feeds are considered: a feed's list, when due, goes first.

    A feed lists its kind at least every ``interval``, but no more often than ``floor`` (the poller's
    ``list_interval``), so that feeds never starve the per-id checks (now, if never listed); that one
    request also refreshes every watch the list covers. Otherwise the poller's own choice stands, and
    the next due feed list bounds how long it may sleep.
    """
    intervals: dict[str, float] = {}
    for feed in feeds:
        interval = max(feed.interval, floor)
        intervals[feed.kind] = min(intervals.get(feed.kind, interval), interval)
    for kind, interval in sorted(intervals.items(), key=lambda item: last_list.get(item[0], float("-inf"))):
        due_at = last_list.get(kind, float("-inf")) + interval
        if due_at <= now:
            return Action("list", kind), now
        next_at = min(next_at, due_at)
    return action, next_at


class Subscriber(Protocol):
    """A wait on a watch (the poller's ``Subscription``): what it waits for, and where its news go."""

    spec: WaitSpec
    decisive: bool  # it ends at its outcome: what an item does after that need not be seen

    def deliver(self, ident: str, item: Observation | BaseException) -> None: ...


@dataclass(eq=False)
class Watch:
    kind: str
    ident: str
    registered: float
    subscribers: set[Subscriber] = field(default_factory=set)
    observation: Observation | None = None
    last_check: float | None = None
    changed_at: float | None = None
    min_interval: float | None = None
    row: tuple[Any, ...] | None = None
    listable: bool = True  # may still appear among the 25 newest rows of its list endpoint
    single: bool | None = None  # one recipient / one signer: a list row proves its status
    urgent: bool = False
    settled: bool = False
    decided: bool = False  # every subscriber has the final outcome of every party it waits on: not polled
    expires_at: float | None = None

    def list_covers(self) -> bool:
        """A list request can check this watch (an email of unknown shape counts: its row tells)."""
        if not self.listable or self.urgent or self.decided or KINDS[self.kind].list is None:
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
        targets = {s.spec.success for s in self.subscribers} or {KINDS[self.kind].targets[0]}
        return any(party_outcome(self.kind, t, row, party, float("-inf")) for t in targets)

    def _status(self) -> str | None:
        """The single party's status in the last observation (what its list row should say)."""
        parties = (self.observation or {}).get("parties") or []
        return str(parties[0]["status"]) if len(parties) == 1 else None

    def decide(self, now: float) -> None:
        """Set ``decided``: every subscriber ends at its outcome (``decisive``: a wait, not an event source) and
        the last observation gives each the final outcome (reached, or a failure) of every party it waits on,
        so nothing the item may still do changes a wait on it (in a campaign settled on delivery, a delivered
        recipient who reads later): it is neither listed nor read again. A new subscriber waiting for more
        (``read``, or every change) makes it undecided again."""
        observation = self.observation
        subscribers = self.subscribers
        if (
            observation is None
            or not subscribers
            or not all(s.decisive for s in subscribers)
            or unlisted_count(observation)
        ):
            self.decided = False
            return
        self.decided = all(
            party_outcome(self.kind, sub.spec.success, observation, party, now) is not None
            for sub in subscribers
            for party in observation["parties"]
            if not isinstance(sub.spec.selection, tuple) or party["who"] in sub.spec.selection
        )

    def record(self, observation: Observation, now: float, changed: bool) -> None:
        if changed and self.observation is not None:
            self.changed_at = now
        self.observation = observation
        self.last_check = now
        self.urgent = False
        self.decide(now)
        if self.kind == SIGNATURE.name:
            self.single = len(observation["parties"]) == 1
            self.expires_at = observation.get("expires_at")
        elif self.kind == EMAIL.name:
            self.single = len(observation["parties"]) == 1
