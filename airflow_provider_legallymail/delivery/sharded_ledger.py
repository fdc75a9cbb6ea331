"""A ``SendLedger`` for many units sent from several threads: locked, and stored in shards.

``SendLedger`` rewrites its whole JSON document at every step, which is right for a handful of units but
quadratic for thousands of batches. Here the units that ``shard_of`` places in a shard live in their own
small document (``units/<shard>``; as a file, ``<task>[.<map_index>].units/<shard>.json`` beside the task's
document, which keeps the tries and the list of shards), so each step rewrites one shard. A lock makes
every read and write atomic across threads. The decisions (what a retry does with each unit) stay in
``delivery/deliverer.py``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger
from airflow_provider_legallymail.task_documents import LEDGER, DocumentStore


class ShardedLedger(SendLedger):
    """Thread-safe ``SendLedger`` whose units are grouped in shards (``shard_of(key)``; None: main document)."""

    def __init__(
        self,
        documents: DocumentStore,
        *,
        shard_of: Callable[[str], int | None],
        sent_index: DocumentStore | None = None,
    ) -> None:
        super().__init__(documents, sent_index=sent_index)
        self._lock = threading.RLock()
        self._shard_of = shard_of
        self._members: OrderedDict[int, set[str]] = OrderedDict()  # shard -> its units held in memory
        self._changed: str | None = None

    def load(self) -> ShardedLedger:
        with self._lock:
            super().load()
            for shard in self._doc.setdefault("shards", []):
                try:
                    units = (self.documents.read(f"units/{shard}") or {}).get("units", {})
                except (OSError, ValueError):
                    self.readable = False
                    continue
                if not units:  # listed in the main document, so it was written: lost since
                    self.readable = False
                self._doc["units"].update(units)
                self._members.setdefault(int(shard), set()).update(units)
        return self

    def start_try(self, try_number: int) -> None:
        with self._lock:
            self._changed = None
            super().start_try(try_number)

    def _use(self, unit_key: str) -> None:
        """Called (under the lock) before ``unit_key`` is read or changed: every shard is in memory here; a
        subclass that holds only some of them reads the unit's shard."""

    def proves(self, unit_key: str, try_number: int) -> bool:
        with self._lock:
            self._use(unit_key)
            return super().proves(unit_key, try_number)

    def last_attempt(self, unit_key: str) -> dict[str, Any] | None:
        with self._lock:
            self._use(unit_key)
            return super().last_attempt(unit_key)

    def maybe_sent(self) -> list[str]:
        """Units whose last attempt may have gone out (sent, pending or unknown), in key order."""
        with self._lock:
            units = self._doc["units"]
            return sorted(
                key
                for key, attempts in units.items()
                if attempts and AttemptState.parse(attempts[-1].get("state")) is not AttemptState.NOT_PROCESSED
            )

    def begin(
        self, unit_key: str, try_number: int, request: Mapping[str, Any], *, covers_earlier: bool = False
    ) -> None:
        with self._lock:
            self._use(unit_key)
            self._changed = unit_key
            super().begin(unit_key, try_number, request, covers_earlier=covers_earlier)

    def mark_sending(self, unit_key: str, at: datetime | None) -> None:
        with self._lock:
            self._use(unit_key)
            self._changed = unit_key
            super().mark_sending(unit_key, at)

    def finish(
        self,
        unit_key: str,
        state: AttemptState,
        *,
        result: Any = None,
        error: str | None = None,
        sent_at: datetime | None = None,
    ) -> None:
        with self._lock:
            self._use(unit_key)
            self._changed = unit_key
            super().finish(unit_key, state, result=result, error=error, sent_at=sent_at)

    def _save(self) -> None:
        shard = self._shard_of(self._changed) if self._changed is not None else None
        if shard is None:
            self._write_main()
            return
        members = self._members.setdefault(shard, set())
        members.add(str(self._changed))
        if shard not in self._doc["shards"]:
            self._doc["shards"].append(shard)
            self._write_main()  # a reader finds the shard through the main document
        units = {key: self._doc["units"][key] for key in sorted(members)}
        self.documents.write(f"units/{shard}", {"units": units})

    def _write_main(self) -> None:
        sharded = set().union(*self._members.values()) if self._members else set()
        doc = {**self._doc, "units": {k: v for k, v in self._doc["units"].items() if k not in sharded}}
        self.documents.write(LEDGER, doc)
