"""A ``ShardedLedger`` that keeps only a few shards in memory, for campaigns with one unit per row.

A mail merge records every row as its own unit, so 10,000 rows are 10,000 units. ``ShardedLedger`` loads
every shard at ``load`` and keeps them; here a shard is read when one of its units is first touched and
dropped again (it is written at every step, so nothing is lost) once more than ``cached`` shards are held,
so the task's memory does not grow with the number of rows. A unit's shard comes from its key
(``shard_of``), which the caller derives from the row's content, not its position.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger
from airflow_provider_legallymail.delivery.sharded_ledger import ShardedLedger
from airflow_provider_legallymail.task_documents import LEDGER, DocumentStore

CACHED_SHARDS = 8


class LazyShardLedger(ShardedLedger):
    """Reads a shard on first use and holds at most ``cached`` of them."""

    def __init__(
        self, documents: DocumentStore, *, shard_of: Callable[[str], int | None], cached: int = CACHED_SHARDS
    ) -> None:
        super().__init__(documents, shard_of=shard_of)
        self._cached = cached
        self._loaded: OrderedDict[int, set[str]] = OrderedDict()

    def load(self) -> LazyShardLedger:
        with self._lock:
            SendLedger.load(self)  # the main document only: tries, the list of shards, unsharded units
            self._doc.setdefault("shards", [])
            self._loaded.clear()
        return self

    @property
    def units_in_memory(self) -> int:
        """How many units this object holds now (at most ``cached`` shards' worth, plus unsharded ones)."""
        return len(self._doc["units"])

    def _shard_units(self, shard: int) -> dict[str, Any]:
        if shard not in self._doc["shards"]:
            return {}
        try:
            units = (self.documents.read(f"units/{shard}") or {}).get("units", {})
        except (OSError, ValueError):
            units = None
        if not units:  # listed in the main document, so it was written: unreadable or lost since
            self.readable = False
            return {}
        return dict(units)

    def _touch(self, unit_key: str) -> None:
        shard = self._shard_of(unit_key)
        if shard is None:
            return
        if shard in self._loaded:
            self._loaded.move_to_end(shard)
            return
        units = self._shard_units(shard)
        self._doc["units"].update(units)
        self._loaded[shard] = set(units)
        while len(self._loaded) > self._cached:
            _, keys = self._loaded.popitem(last=False)
            for key in keys:
                self._doc["units"].pop(key, None)

    def proves(self, unit_key: str, try_number: int) -> bool:
        with self._lock:
            self._touch(unit_key)
            return super().proves(unit_key, try_number)

    def last_attempt(self, unit_key: str) -> dict[str, Any] | None:
        with self._lock:
            self._touch(unit_key)
            return super().last_attempt(unit_key)

    def maybe_sent(self) -> list[str]:
        """Units whose last attempt may have gone out, read shard by shard."""
        with self._lock:
            found = []
            for shard in list(self._doc["shards"]):
                for key, attempts in self._shard_units(int(shard)).items():
                    if attempts and AttemptState.parse(attempts[-1].get("state")) is not AttemptState.NOT_PROCESSED:
                        found.append(key)
            return sorted(found)

    def begin(
        self, unit_key: str, try_number: int, request: Mapping[str, Any], *, covers_earlier: bool = False
    ) -> None:
        with self._lock:
            self._touch(unit_key)
            super().begin(unit_key, try_number, request, covers_earlier=covers_earlier)

    def mark_sending(self, unit_key: str, at: datetime | None) -> None:
        with self._lock:
            self._touch(unit_key)
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
            self._touch(unit_key)
            super().finish(unit_key, state, result=result, error=error, sent_at=sent_at)

    def _save(self) -> None:
        shard = self._shard_of(self._changed) if self._changed is not None else None
        if shard is None:
            self._write_main()
            return
        keys = self._loaded.setdefault(shard, set())
        keys.add(str(self._changed))
        if shard not in self._doc["shards"]:
            self._doc["shards"].append(shard)
            self._write_main()  # a reader finds the shard through the main document
        self.documents.write(f"units/{shard}", {"units": {key: self._doc["units"][key] for key in sorted(keys)}})

    def _write_main(self) -> None:
        sharded = set().union(*self._loaded.values()) if self._loaded else set()
        doc = {**self._doc, "units": {k: v for k, v in self._doc["units"].items() if k not in sharded}}
        self.documents.write(LEDGER, doc)
