"""A durable record of send attempts, one JSON document per task instance, that survives task retries.

XComs are cleared when a task instance starts a new try, so a try that may have sent a certified email
writes down what it is about to send *before* sending, and what came back after. The next try reads it.

Documents live under an ``ObjectStoragePath`` (``ledger_path`` argument, or the Airflow config option
``[legallymail] ledger_path`` / ``AIRFLOW__LEGALLYMAIL__LEDGER_PATH``, default
``file://$AIRFLOW_HOME/legallymail/ledger``) at ``<dag_id>/<run_id>/<task_id>[.<map_index>].json``.
With workers on several hosts, point it at shared storage (``s3://...``) so a retry elsewhere sees it.
"""

from __future__ import annotations

import enum
import json
import os
from datetime import datetime, timezone
from typing import Any

from airflow_provider_legallymail.storage import configured_location, location, segment


class AttemptState(str, enum.Enum):
    """What the ledger knows of one attempt to send a unit (not an email's delivery status).

    The values were ``pending`` / ``sent`` / ``unsent`` / ``unknown`` before 0.6; ledgers written then
    still read (``parse``).
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
    """The attempts of one task instance, keyed by send unit (one batch, one signature request, one SMS)."""

    def __init__(self, base: str | None, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        name = segment(task_id) + (f".{map_index}" if map_index is not None and map_index >= 0 else "")
        self.path = _path(base, segment(dag_id), segment(run_id), f"{name}.json")
        self.readable = True
        self._doc: dict[str, Any] = {"tries": [], "units": {}}

    def load(self) -> SendLedger:
        try:
            if self.path.exists():
                self._doc = json.loads(self.path.read_text())
        except (OSError, ValueError):
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

    def last_attempt(self, unit_key: str) -> dict[str, Any] | None:
        """The unit's last recorded attempt, its ``state`` parsed to an ``AttemptState``."""
        attempts = self._doc["units"].get(unit_key) or []
        if not attempts:
            return None
        return {**attempts[-1], "state": AttemptState.parse(attempts[-1].get("state"))}

    def begin(self, unit_key: str, try_number: int, request: dict[str, Any]) -> None:
        """Record that this try is about to send ``unit_key``; raises if it cannot be recorded."""
        attempt = {"try": try_number, "at": _now(), "state": AttemptState.STARTED.value, "request": request}
        self._doc["units"].setdefault(unit_key, []).append(attempt)
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

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self._doc, indent=1, default=str))


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
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"claimed_at": _now()}).encode()
    if getattr(path, "protocol", "file") in ("file", "local", ""):
        try:
            fd = os.open(path.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        return True
    if path.exists():  # object stores have no exclusive create: best effort
        return False
    path.write_bytes(body)
    return True
