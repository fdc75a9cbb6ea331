"""The hosts that share one request budget, announced to each other through an Airflow Variable.

Hosts behind one public address (Celery or Kubernetes workers, several triggerers) share LegallyMail's
limit, and no host sees the others' requests. Each host's limit adapts to the 429s it gets
(``client.adaptive``), but a host learns its share only from its own first 429s: hosts that start together,
or a triggerer that starts next to busy workers, cost the address a burst of 429s, and a host left alone
after the others went idle climbs back to the whole limit only slowly.

So under a distributed executor every host that asks for a request slot writes into the Airflow Variable
``legallymail_budget_hosts_<digest of the API base URL>`` (a JSON object: host id -> ``{"at", "used",
"hungry"}``) when it wrote, its requests in the last window, and whether one had to wait for the budget: at most
once per half window, every other read while hungry (``HUNGRY_RENEWAL``; a hungry entry not renewed within
``HUNGRY_STALE`` reads is a dead host's, or one that no longer waits, and counts as not hungry), and when it
becomes hungry or stops being so. It reads the Variable at most every
``window / limit`` seconds. The hosts listed within the last window and a half (``EXPIRY``) share the budget
(``share_of``): one that is not hungry keeps what it used plus one slot, the hungry ones split the rest, so
the shares add up to the limit. When its share changes (a host came, left, or wants more or less), a host
goes to it at once instead of waiting for a 429 (``HostState.share``). 429s still cut and calm windows still
grow each host's limit, so hosts that do not share an address (each has its own) climb back to the whole
limit.

A host is its budget file (``client.budget``): its id is drawn once and kept there, so every process of a
host (each task runs in one) announces the same host. Workers and triggerers reach the Variable through
Airflow's execution API (the Task SDK's ``Variable``). The Variable is read, changed and written without a
lock: a lost update leaves a host out for half a window, which the 429 rule covers. Anything that fails
(no Airflow context, an API error) leaves the budget to the 429s alone for the rest of the process, logged
once. ``[legallymail] share_budget_between_hosts = False`` turns the announcement off.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

from airflow_provider_legallymail.storage import configured_flag, digest

VARIABLE_PREFIX = "legallymail_budget_hosts_"
DESCRIPTION = (
    "Hosts sharing LegallyMail's request budget and when each last asked for a request slot; written by "
    "airflow-provider-legallymail under a distributed executor (see its 'request budget' docs)."
)
SETTING = "share_budget_between_hosts"
HUNGRY_RENEWAL = 2  # reads: how often a hungry host renews its entry
HUNGRY_STALE = 4  # reads: a hungry entry not renewed for this long counts as not hungry
EXPIRY = 1.5  # windows: a host renews its entry every half window, so one that asked within the window is listed
log = logging.getLogger(__name__)


class Board(Protocol):
    """Where the hosts' announcements are kept: text read and written whole."""

    def read(self) -> str | None: ...

    def write(self, text: str) -> None: ...


class VariableBoard:
    """The Airflow Variable ``key``, through the Task SDK (a worker's task or a triggerer)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def read(self) -> str | None:
        from airflow.sdk import Variable

        value = Variable.get(self.key, default=None)
        return None if value is None else str(value)

    def write(self, text: str) -> None:
        from airflow.sdk import Variable

        Variable.set(self.key, text, description=DESCRIPTION)


def variable_key(budget_key: str) -> str:
    """The Variable of the budget of ``budget_key`` (the API base URL)."""
    return VARIABLE_PREFIX + digest(budget_key)


def sharing_enabled() -> bool:
    """``[legallymail] share_budget_between_hosts`` (default True)."""
    return configured_flag(SETTING, default=True)


class Entry(NamedTuple):
    """What a host last wrote on the board."""

    at: float  # when it wrote it
    used: int  # its requests in the window before
    hungry: bool  # one of its requests waited for a slot within the window before


def parse(text: str | None) -> dict[str, Entry]:
    """``{host id: Entry}`` from the board's text; anything unreadable counts as no host, and a bare time (an
    announcement alone) as a host that wants all it can get."""
    try:
        data: Any = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    board = {}
    for host, value in data.items():
        if _is_number(value):
            board[str(host)] = Entry(float(value), 0, True)
        elif isinstance(value, dict) and _is_number(value.get("at")):
            used: Any = value.get("used")
            board[str(host)] = Entry(
                float(value["at"]), int(used) if _is_number(used) else 0, value.get("hungry") is not False
            )
    return board


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def share_of(limit: int, board: Mapping[str, Entry], host: str, *, hungry: bool, used: int) -> float:
    """``host``'s slots of ``limit`` among the hosts on ``board`` (``host``: ``hungry`` and ``used`` as it is now,
    whatever its entry says; the others as their entries say).

    A host that did not wait for a slot keeps what it used plus one (at most an equal share, rounded up): it
    needs no more, and once it does, it waits, says so and gets more. The hungry hosts split the rest, the
    remainder one slot each to the first ids, so that the shares add up to the limit (10 between four
    hungry hosts: 3, 3, 2, 2). At least 1.
    """
    hosts = set(board) | {host}
    ceiling = -(-limit // len(hosts))
    if not hungry:
        return float(max(1, min(used + 1, ceiling)))
    fed = {h: min(entry.used + 1, ceiling) for h, entry in board.items() if h != host and not entry.hungry}
    starving = sorted(hosts - set(fed))
    rest = max(0, limit - sum(fed.values()))
    rank = starving.index(host)
    return float(max(1, rest // len(starving) + (1 if rank < rest % len(starving) else 0)))


class Peers:
    """The hosts (this one included) that asked for a slot of the budget lately (``EXPIRY``)."""

    def __init__(self, board: Board, window: float, refresh: float, clock: Callable[[], float]) -> None:
        self.board = board
        self.window = window
        self.refresh = refresh
        self._clock = clock
        self._read_at = float("-inf")
        self._seen: dict[str, Entry] | None = None
        self.failed = False

    def read(self, host: str, mine: Callable[[], tuple[int, bool]]) -> dict[str, Entry] | None:
        """The board, after reading it (and writing ``host``'s entry from ``mine()``: its used slots, whether it
        is hungry) when due, else as last read; None (unknown) once the board failed."""
        now = self._clock()
        if self.failed:
            return None
        if now - self._read_at < self.refresh:
            return self._seen
        self._read_at = now
        try:
            board = {h: e for h, e in parse(self.board.read()).items() if now - e.at < self.window * EXPIRY}
            used, hungry = mine()
            own = board.get(host)
            due = self.window / 2 if not hungry else min(self.window / 2, self.refresh * HUNGRY_RENEWAL)
            if own is None or now - own.at >= due or own.hungry != hungry:
                board[host] = Entry(now, used, hungry)
                self.board.write(
                    json.dumps({h: {"at": e.at, "used": e.used, "hungry": e.hungry} for h, e in board.items()})
                )
        except Exception as exc:
            self.failed = True
            log.warning(
                "Could not share the request budget with the other hosts (%s: %s); this process adapts to 429s alone.",
                type(exc).__name__,
                exc,
            )
            return None
        # a hungry host renews its entry every few reads: one that did not is dead or no longer waits, and keeps
        # only what it used (its requests are still in the API's window) until its entry expires
        stale = self.refresh * HUNGRY_STALE
        self._seen = {h: e._replace(hungry=e.hungry and now - e.at < stale) for h, e in board.items()}
        return self._seen
