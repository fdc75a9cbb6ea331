"""A ``ShardedLedger`` that keeps only a few shards in memory, for campaigns with one unit per row.

A mail merge records every row as its own unit, so 10,000 rows are 10,000 units. ``ShardedLedger`` loads
every shard at ``load`` and keeps them; here a shard is read when one of its units is first touched and
dropped again (it is written at every step, so nothing is lost) once more than ``cached`` shards are held,
so the task's memory does not grow with the number of rows. A unit's shard comes from its key
(``shard_of``), which the caller derives from the row's content, not its position.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger
from airflow_provider_legallymail.delivery.sharded_ledger import ShardedLedger
from airflow_provider_legallymail.task_documents import DocumentStore

CACHED_SHARDS = 8


class LazyShardLedger(ShardedLedger):
    """Reads a shard on first use and holds at most ``cached`` of them."""

    def __init__(
        self, documents: DocumentStore, *, shard_of: Callable[[str], int | None], cached: int = CACHED_SHARDS
    ) -> None:
        super().__init__(documents, shard_of=shard_of)
        self._cached = cached

    def load(self) -> LazyShardLedger:
        with self._lock:
            SendLedger.load(self)  # the main document only: tries, the list of shards, unsharded units
            self._doc.setdefault("shards", [])
            self._members.clear()
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

    def _use(self, unit_key: str) -> None:
        """Read the unit's shard unless it is held; drop the least recently used beyond ``cached``."""
        shard = self._shard_of(unit_key)
        if shard is None:
            return
        if shard in self._members:
            self._members.move_to_end(shard)
            return
        units = self._shard_units(shard)
        self._doc["units"].update(units)
        self._members[shard] = set(units)
        while len(self._members) > self._cached:
            _, keys = self._members.popitem(last=False)
            for key in keys:
                self._doc["units"].pop(key, None)

    def maybe_sent(self) -> list[str]:
        """Units whose last attempt may have gone out, read shard by shard."""
        with self._lock:
            found = []
            for shard in list(self._doc["shards"]):
                for key, attempts in self._shard_units(int(shard)).items():
                    if attempts and AttemptState.parse(attempts[-1].get("state")) is not AttemptState.NOT_PROCESSED:
                        found.append(key)
            return sorted(found)
