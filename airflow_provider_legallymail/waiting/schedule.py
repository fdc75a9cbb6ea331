"""The poller's scheduling policy: which request a free budget slot is spent on. Pure: no I/O, no clock.

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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from airflow_provider_legallymail.kinds import KINDS
from airflow_provider_legallymail.waiting.decision import EXPIRY_GRACE

if TYPE_CHECKING:
    from airflow_provider_legallymail.waiting.poller import PollerConfig
    from airflow_provider_legallymail.waiting.watches import Watch

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
    watches: Iterable[Watch], now: float, config: PollerConfig, last_list: Mapping[str, float]
) -> tuple[Action | None, float]:
    """The most valuable allowed request now, and (when there is none) when the next one is allowed."""
    best: Action | None = None
    best_value = 0.0
    next_at = now + config.cap
    listed: dict[str, float] = {}
    for watch in watches:
        if watch.settled:
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
