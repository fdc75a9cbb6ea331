"""The hosts that share one request budget, announced to each other through an Airflow Variable.

Hosts behind one public address (Celery or Kubernetes workers, several triggerers) share LegallyMail's
limit, and no host sees the others' requests. Each host's limit adapts to the 429s it gets
(``client.adaptive``), but a host learns its share only from its own first 429s: hosts that start together,
or a triggerer that starts next to busy workers, cost the address a burst of 429s, and a host left alone
after the others went idle climbs back to the whole limit only slowly.

So under a distributed executor every host that asks for a request slot writes that it did into the Airflow
Variable ``legallymail_budget_hosts_<digest of the API base URL>`` (a JSON object: host id -> epoch seconds,
or ``{"at": epoch seconds, "polls": true}`` for a host that only polls), at most once per half window or when
it starts or stops sending, and reads it at most every ``window / limit`` seconds. The hosts listed within
the last window and a half (``EXPIRY``) are the ones sharing the budget now, in shares that add up to the
limit, a host that only polls (a triggerer) weighing half of one that sends (``adaptive.host_share``): when
another one comes, a host goes down to its share at once instead of waiting for a 429; when one goes idle or
dies, the others take its share once its entry expires (``HostState.share``). 429s still cut and calm
windows still grow each host's limit, so hosts that do not share an address (each has its own) climb back to
the whole limit.

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
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from airflow_provider_legallymail.storage import configured_flag, digest

VARIABLE_PREFIX = "legallymail_budget_hosts_"
DESCRIPTION = (
    "Hosts sharing LegallyMail's request budget and when each last asked for a request slot; written by "
    "airflow-provider-legallymail under a distributed executor (see its 'request budget' docs)."
)
SETTING = "share_budget_between_hosts"
EXPIRY = 1.5  # windows: a host renews its entry every half window, so one that asked within the window is listed
log = logging.getLogger(__name__)
_failed: set[str] = set()  # the boards that failed in this process: every budget of it stops using them


class Board(Protocol):
    """Where the hosts' announcements are kept (``key`` names it): text read and written whole."""

    key: str

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
    """A host's announcement: when it last asked for a slot, and whether it only polls (a triggerer)."""

    at: float
    polls: bool = False


def parse(text: str | None) -> dict[str, Entry]:
    """``{host id: Entry}`` from the board's text; anything unreadable counts as no host. A host that sends is
    written as the time alone (``{"worker-1": 1765000000.0}``), one that only polls as ``{"at": ..., "polls":
    true}``."""
    try:
        data: Any = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    entries = {}
    for host, value in data.items():
        at, polls = (value.get("at"), value.get("polls") is True) if isinstance(value, dict) else (value, False)
        if isinstance(at, int | float) and not isinstance(at, bool):
            entries[str(host)] = Entry(float(at), polls)
    return entries


def dump(entries: dict[str, Entry]) -> str:
    """The board's text for ``entries`` (the format ``parse`` reads)."""
    return json.dumps({h: {"at": e.at, "polls": True} if e.polls else e.at for h, e in entries.items()}, sort_keys=True)


class Peers:
    """The hosts (this one included) that asked for a slot of the budget lately (``EXPIRY``)."""

    def __init__(self, board: Board, window: float, refresh: float, clock: Callable[[], float]) -> None:
        self.board = board
        self.window = window
        self.refresh = refresh
        self._clock = clock
        self._read_at = float("-inf")
        self._hosts: dict[str, bool] = {}
        self.failed = False

    def hosts(self, host: str, polls: Callable[[], bool] = lambda: False) -> dict[str, bool]:
        """The hosts sharing the budget (id -> only polls), after reading the board and announcing ``host`` on it
        (``polls()``: whether it only polls now) when due; the last ones read otherwise; ``{}`` (unknown) once
        the board failed."""
        now = self._clock()
        if self.failed or self.board.key in _failed:
            self.failed = True
            return {}
        if now - self._read_at < self.refresh:
            return self._hosts
        self._read_at = now
        try:
            entries = {h: e for h, e in parse(self.board.read()).items() if now - e.at < self.window * EXPIRY}
            mine, only_polls = entries.get(host), polls()
            if mine is None or now - mine.at >= self.window / 2 or mine.polls != only_polls:
                entries[host] = Entry(now, only_polls)
                self.board.write(dump(entries))
        except Exception as exc:
            self.failed = True
            _failed.add(self.board.key)
            log.warning(
                "Could not share the request budget with the other hosts (%s: %s); this process adapts to 429s alone.",
                type(exc).__name__,
                exc,
            )
            return {}
        self._hosts = {h: entries[h].polls for h in sorted(entries)}
        return self._hosts
