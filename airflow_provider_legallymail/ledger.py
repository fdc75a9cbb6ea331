"""A durable record of send attempts, one JSON document per task instance, that survives task retries.

XComs are cleared when a task instance starts a new try, so a try that may have sent a certified email
writes down what it is about to send *before* sending, and what came back after. The next try reads it.

Documents live under an ``ObjectStoragePath`` (``ledger_path`` argument, or the Airflow config option
``[legallymail] ledger_path`` / ``AIRFLOW__LEGALLYMAIL__LEDGER_PATH``, default
``file://$AIRFLOW_HOME/legallymail/ledger``) at ``<dag_id>/<run_id>/<task_id>[.<map_index>].json``.
With workers on several hosts, point it at shared storage (``s3://...``) so a retry elsewhere sees it.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

PENDING, SENT, UNSENT, UNKNOWN = "pending", "sent", "unsent", "unknown"


def default_ledger_path() -> str:
    configured = os.environ.get("AIRFLOW__LEGALLYMAIL__LEDGER_PATH")
    if not configured:
        try:
            from airflow.configuration import conf

            configured = conf.get("legallymail", "ledger_path", fallback=None)
        except Exception:  # pragma: no cover - configuration unavailable
            configured = None
    if configured:
        return configured
    home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
    return f"file://{os.path.abspath(home)}/legallymail/ledger"


def _segment(value: object) -> str:
    return quote(str(value), safe="-_.")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _path(base: str | None, *parts: str) -> Any:
    from airflow.sdk import ObjectStoragePath

    path = ObjectStoragePath(base or default_ledger_path())
    for part in parts:
        path = path / part
    return path


class SendLedger:
    """The attempts of one task instance, keyed by send unit (one batch, one signature request, one SMS)."""

    def __init__(self, base: str | None, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        name = _segment(task_id) + (f".{map_index}" if map_index is not None and map_index >= 0 else "")
        self.path = _path(base, _segment(dag_id), _segment(run_id), f"{name}.json")
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
        attempts = self._doc["units"].get(unit_key) or []
        return dict(attempts[-1]) if attempts else None

    def begin(self, unit_key: str, try_number: int, request: dict[str, Any]) -> None:
        """Record that this try is about to send ``unit_key``; raises if it cannot be recorded."""
        attempt = {"try": try_number, "at": _now(), "state": PENDING, "request": request}
        self._doc["units"].setdefault(unit_key, []).append(attempt)
        self._save()

    def finish(self, unit_key: str, state: str, *, result: Any = None, error: str | None = None) -> None:
        attempts = self._doc["units"].setdefault(unit_key, [{"try": None, "at": _now(), "request": {}}])
        attempts[-1].update({"state": state, "result": result, "error": error, "finished_at": _now()})
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self._doc, indent=1, default=str))


def _claim_path(base: str | None, key_parts: tuple[object, ...]) -> Any:
    return _path(base, "claims", ".".join(_segment(p) for p in key_parts) + ".json")


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
