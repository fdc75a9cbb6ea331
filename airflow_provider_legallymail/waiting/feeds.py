"""Subscriptions to an account's recent items: the rows of ``GET /api/emails`` / ``/api/signatures``.

The event triggers need to see items they were never told about (sent from the dashboard, or by another
DAG), so besides its per-id watches the shared poller keeps *feeds*: "give me the 25 newest rows of kind X
at least every N seconds". A list request serves every feed of its kind and every watch it covers at once;
``with_feeds`` is the poller's one scheduling hook for them: on the same budget, a feed's list goes first
once its shortest interval has passed since the last list of that kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_legallymail.waiting.schedule import Action


@dataclass(eq=False)
class RecentFeed:
    """One subscriber to the recent rows of ``kind``: ``deliver(rows)`` after every list of that kind."""

    kind: str
    interval: float
    deliver: Callable[[list[Any] | BaseException], None] = field(repr=False)


def with_feeds(
    feeds: list[RecentFeed],
    last_list: dict[str, float],
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
