"""Subscriptions to an account's recent items: the rows of ``GET /api/emails`` / ``/api/signatures``.

The event triggers need to see items they were never told about (sent from the dashboard, or by another
DAG), so besides its per-id watches the shared poller keeps *feeds*: "give me the 25 newest rows of kind X
at least every N seconds". A list request serves every feed of its kind and every watch it covers at once;
``choose_feed`` is the poller's one scheduling hook for them and competes with the watches on the same
budget (a list falls due once its shortest interval has passed since the last list of that kind).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LISTABLE_KINDS = ("email", "signature")


@dataclass(eq=False)
class RecentFeed:
    """One subscriber to the recent rows of ``kind``: ``deliver(rows)`` after every list of that kind."""

    kind: str
    interval: float
    deliver: Callable[[list[Any] | BaseException], None] = field(repr=False)


def choose_feed(
    feeds: list[RecentFeed],
    listed_at: dict[str, float],
    now: float,
    best: tuple[str, Any] | None,
    best_score: float,
    next_due: float,
) -> tuple[tuple[str, Any] | None, float, float]:
    """(best action, its score, next due time) once the feeds' lists are considered.

    A feed's list scores like an overdue watch: ``(now - last list) / interval``, 1 when due; it is added
    to the list already chosen for the watches it covers, so one request serves both.
    """
    intervals: dict[str, float] = {}
    for feed in feeds:
        intervals[feed.kind] = min(intervals.get(feed.kind, feed.interval), feed.interval)
    for kind, interval in intervals.items():
        last = listed_at.get(kind)
        score = 1e6 if last is None else (now - last) / max(interval, 1e-3)  # never listed: list now
        if score < 1.0:
            next_due = min(next_due, (last or now) + interval)
            continue
        if best == ("list", kind):
            best_score += score
        elif score > best_score:
            best, best_score = ("list", kind), score
    return best, best_score, next_due
