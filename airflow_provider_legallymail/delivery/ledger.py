"""A durable record of send attempts, one JSON document per task instance, that survives task retries.

XComs are cleared when a task instance starts a new try, so a try that may have sent a certified email
writes down what it is about to send *before* sending, and what came back after. The next try reads it.

Where the document lives is ``task_documents``' choice: Airflow's task state store on 3.3+ (every try on any
host reads it), files under an explicit ``ledger_path`` / ``[legallymail] ledger_path``, or the host's
``$AIRFLOW_HOME/legallymail/ledger`` on Airflow 3.1/3.2.

A ledger is proof only of the tries it saw. ``tries`` lists every try that reached ``execute`` and wrote
here; when an earlier try is missing (it ran on a host whose local ledger this one cannot see, or failed
before writing), what that try did is unknown, and ``proves`` says so until a look-up in the API has
covered it (an attempt recorded with ``covers_earlier``).
"""

from __future__ import annotations

import enum
import json
import logging
import os
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from airflow_provider_legallymail.private_files import create_new, make_dirs
from airflow_provider_legallymail.storage import configured_location, location, segment
from airflow_provider_legallymail.task_documents import (
    LEDGER,
    DocumentStore,
    PathDocuments,
    sent_index,
    task_documents,
)
from airflow_provider_legallymail.topology import local_location

log = logging.getLogger(__name__)


class AttemptState(str, enum.Enum):
    """What the ledger knows of one attempt to send a unit (not an email's delivery status).

    Development builds wrote ``pending`` / ``sent`` / ``unsent`` / ``unknown`` before these names; such
    ledgers still read (``parse``).
    """

    STARTED = "started"  # recorded before the POST; no outcome recorded yet
    ACCEPTED = "accepted"  # the API answered 2xx: the unit went out
    NOT_PROCESSED = "not_processed"  # the API provably did not process it (refused, never reached)
    IN_DOUBT = "in_doubt"  # it may or may not have been processed (the answer was lost)

    @classmethod
    def parse(cls, value: object) -> AttemptState:
        legacy = {"pending": cls.STARTED, "sent": cls.ACCEPTED, "unsent": cls.NOT_PROCESSED, "unknown": cls.IN_DOUBT}
        try:
            return cls(str(value))
        except ValueError:
            return legacy.get(str(value), cls.IN_DOUBT)


def default_ledger_path() -> str:
    return configured_location("ledger_path", "ledger")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _path(base: str | None, *parts: str) -> Any:
    return location(base or default_ledger_path(), *parts)


class SendLedger:
    """The attempts of one task instance, keyed by send unit (one batch, one signature request, one SMS).

    ``sent_index``: where to copy the units that went out, for the event triggers (``waiting/event_source.py``),
    when the ledger itself is not under ``ledger_path``; best effort.
    """

    def __init__(self, documents: DocumentStore, *, sent_index: DocumentStore | None = None) -> None:
        self.documents = documents
        self.where = documents.where
        self.sent_index = sent_index
        self.readable = True
        self._doc: dict[str, Any] = {"tries": [], "units": {}}

    @classmethod
    def at(cls, base: str | None, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> SendLedger:
        """The ledger kept as files under ``base`` (default ``[legallymail] ledger_path``)."""
        return cls(PathDocuments(base or default_ledger_path(), dag_id, run_id, task_id, map_index))

    def load(self) -> SendLedger:
        try:
            self._doc = self.documents.read(LEDGER) or self._doc
        except (OSError, ValueError) as exc:
            log.warning("The send ledger at %s is unreadable (%s): earlier tries count as unknown", self.where, exc)
            self.readable = False
        self._doc.setdefault("tries", [])
        self._doc.setdefault("units", {})
        return self

    @property
    def tries(self) -> list[int]:
        return list(self._doc["tries"])

    def start_try(self, try_number: int) -> None:
        if try_number not in self._doc["tries"]:
            self._doc["tries"].append(try_number)
        self._save()

    def proves(self, unit_key: str, try_number: int) -> bool:
        """Does this ledger know everything earlier tries did with ``unit_key``?

        Yes when it is readable and holds every try before ``try_number``, back to the first, or back to an
        attempt that looked the unit up in the API (``covers_earlier``) and so covered the tries before it.
        """
        if not self.readable:
            return False
        first = 1
        for attempt in self._doc["units"].get(unit_key) or []:
            if attempt.get("covers_earlier") and isinstance(attempt.get("try"), int):
                first = max(first, attempt["try"])
        seen = set(self._doc["tries"])
        return all(t in seen for t in range(first, try_number))

    def last_attempt(self, unit_key: str) -> dict[str, Any] | None:
        """The unit's last recorded attempt, its ``state`` parsed to an ``AttemptState``."""
        attempts = self._doc["units"].get(unit_key) or []
        if not attempts:
            return None
        return {**attempts[-1], "state": AttemptState.parse(attempts[-1].get("state"))}

    def begin(
        self, unit_key: str, try_number: int, request: Mapping[str, Any], *, covers_earlier: bool = False
    ) -> None:
        """Record that this try is about to send ``unit_key``; raises if it cannot be recorded.

        ``covers_earlier``: this attempt follows a look-up in the API that covered every earlier try.
        """
        attempt = {"try": try_number, "at": _now(), "state": AttemptState.STARTED.value, "request": dict(request)}
        if covers_earlier:
            attempt["covers_earlier"] = True
        self._doc["units"].setdefault(unit_key, []).append(attempt)
        self._save()

    def mark_sending(self, unit_key: str, at: datetime | None) -> None:
        """Record that the last attempt's POST goes out now (``sent_at``): a lost answer settles from here."""
        attempts = self._doc["units"].get(unit_key) or []
        if attempts and at is not None:
            attempts[-1]["sent_at"] = at.isoformat()
            self._save()

    def finish(
        self,
        unit_key: str,
        state: AttemptState,
        *,
        result: Any = None,
        error: str | None = None,
        sent_at: datetime | None = None,
    ) -> None:
        """Record how the unit's last attempt ended; ``sent_at``: when its POST went out, if known."""
        attempts = self._doc["units"].setdefault(unit_key, [{"try": None, "at": _now(), "request": {}}])
        attempts[-1].update(
            {"state": AttemptState(state).value, "result": result, "error": error, "finished_at": _now()}
        )
        if sent_at is not None:
            attempts[-1]["sent_at"] = sent_at.isoformat()
        self._save()
        if state is AttemptState.ACCEPTED:
            self._index_sent()

    def _save(self) -> None:
        self.documents.write(LEDGER, self._doc)

    def _index_sent(self) -> None:
        if self.sent_index is None:
            return
        units = self._doc["units"]
        accepted = {
            key: [attempts[-1]]
            for key, attempts in units.items()
            if attempts and AttemptState.parse(attempts[-1].get("state")) is AttemptState.ACCEPTED
        }
        try:
            self.sent_index.write("sent", {"units": accepted})
        except Exception as exc:  # only the event triggers read it; never fail a send over it
            log.warning("Could not update the sent index for the event triggers: %s", exc)


def task_ledger(context: Mapping[str, Any], ledger_path: str | None, *, index_sent: bool = True) -> SendLedger:
    """The loaded ledger of the running task instance (``task_documents`` chooses where it lives).

    ``index_sent``: copy what went out where the event triggers look (``waiting/event_source.py``).
    """
    documents = task_documents(context, ledger_path)
    return SendLedger(documents, sent_index=sent_index(documents) if index_sent else None).load()


def accepted_units(base: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(unit key, last attempt)`` of every unit the API accepted, in every ledger kept as files under ``base``
    (default ``[legallymail] ledger_path``): sync, object storage; for the event triggers.

    Reads the ledgers' own layout (``PathDocuments``): ``<dag>/<run>/<task>...json`` documents, whose shards
    are one folder deeper, and among those only ledger documents (``units``); a task's other documents (its
    wait's deadline), the claims and the event triggers' state, kept elsewhere or in another shape, are not
    ledgers. The main document, its shards and the sent index of a ledger kept in Airflow's task state store
    all count; a document being written is read at the next scan.
    """
    root = _path(base)
    if not root.exists():
        return
    depth = len(root.parts)
    for path in root.rglob("*.json"):
        if len(path.parts) - depth not in (3, 4):  # <dag>/<run>/<doc>, <dag>/<run>/<task>.units/<shard>
            continue
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            log.debug("Skipping %s: %s", path, exc)
            continue
        units = doc.get("units") if isinstance(doc, dict) else None
        if not isinstance(units, dict):  # not a ledger document
            continue
        for key, attempts in units.items():
            if attempts and isinstance(attempts, list) and isinstance(attempts[-1], dict):
                last = attempts[-1]
                if AttemptState.parse(last.get("state")) is AttemptState.ACCEPTED:
                    yield str(key), last


def _claim_path(base: str | None, key_parts: tuple[object, ...]) -> Any:
    return _path(base, "claims", ".".join(segment(p) for p in key_parts) + ".json")


def release_claim(base: str | None, *key_parts: object) -> None:
    """Remove a claim whose work provably did not happen, so a later attempt may do it."""
    path = _claim_path(base, key_parts)
    if path.exists():
        path.unlink()


def claim_once(base: str | None, *key_parts: object) -> bool:
    """Create a marker for ``key_parts``; False if it already existed (someone already did this)."""
    path = _claim_path(base, key_parts)
    body = json.dumps({"claimed_at": _now()}).encode()
    if local_location(path):
        make_dirs(os.path.dirname(path.path))
        try:
            handle = create_new(path.path)
        except FileExistsError:  # a link planted there counts as taken too: nothing is written through it
            return False
        with handle:
            handle.write(body)
        return True
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():  # object stores have no exclusive create: best effort
        return False
    path.write_bytes(body)
    return True
