"""The event triggers' memory: which transitions were announced, kept where a restarted triggerer finds it.

One small JSON document per event trigger (named by a digest of its kwargs, so identical watchers share
it and different ones never collide):

- ``items``: per id, the statuses already announced, whether nothing it cares about can happen any more
  (``done``), and when it last changed, so a restart re-watches exactly the ids still open;
- ``baseline``: ids found at the very first start, whose current status is recorded without an event
  (a new watcher announces what happens from now on, not the 25 newest items' history);
- ``initialized``: the first start has taken its baseline;
- ``started_at``: when the watcher first started (this host's clock), and ``api_started_at``, that instant
  on the API's clock (from its ``Date`` header): what happened after it is announced, never history.

Where it lives: on Airflow 3.3+, when the triggerer hands the trigger its watched assets' state store
(``BaseEventTrigger.asset_state_store``), in that store under the key ``legallymail-events:<digest>``
(written to every watched asset, read back as the union); otherwise (Airflow 3.1 and 3.2, ``dag.test()``)
in ``<state_path>/<digest>.json`` (default ``[legallymail] ledger_path``/``events``), written atomically
(a private temporary file renamed over it on a local disk; one PUT on an object store).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from airflow_provider_legallymail.private_files import write_private
from airflow_provider_legallymail.storage import configured_location, location

STATE_VERSION = 1
RETENTION = 30 * 86400.0
"""Seconds an item is remembered after its last change (an open item is no longer watched after that)."""


@dataclass
class SeenState:
    initialized: bool = False
    baseline: set[str] = field(default_factory=set)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    started_at: float | None = None
    api_started_at: float | None = None

    def emitted(self, ident: str) -> set[str]:
        return set(self.items.get(ident, {}).get("emitted", ()))

    def is_done(self, ident: str) -> bool:
        return bool(self.items.get(ident, {}).get("done"))

    def knows(self, ident: str) -> bool:
        return ident in self.items or ident in self.baseline

    def track(self, ident: str, now: float) -> None:
        self.items.setdefault(ident, {"emitted": [], "done": False, "at": now})

    def mark(self, ident: str, status: str, now: float) -> None:
        item = self.items.setdefault(ident, {"emitted": [], "done": False, "at": now})
        if status not in item["emitted"]:
            item["emitted"] = [*item["emitted"], status]
        item["at"] = now

    def finish(self, ident: str, now: float) -> None:
        self.items.setdefault(ident, {"emitted": [], "done": False, "at": now}).update(done=True, at=now)

    def open_ids(self) -> list[str]:
        return [ident for ident, item in self.items.items() if not item.get("done")]

    def prune(self, now: float) -> None:
        self.items = {i: v for i, v in self.items.items() if now - float(v.get("at", now)) <= RETENTION}

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "initialized": self.initialized,
            "baseline": sorted(self.baseline),
            "items": self.items,
            "started_at": self.started_at,
            "api_started_at": self.api_started_at,
        }

    @classmethod
    def from_json(cls, data: Any) -> SeenState:
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            return cls()
        items = {str(k): dict(v) for k, v in (data.get("items") or {}).items() if isinstance(v, dict)}
        started = [_epoch(data.get(key)) for key in ("started_at", "api_started_at")]
        return cls(bool(data.get("initialized")), {str(i) for i in data.get("baseline") or ()}, items, *started)

    def merge(self, other: SeenState) -> None:
        """Union with a copy read from another asset's store: nothing announced anywhere is announced again."""
        self.initialized = self.initialized or other.initialized
        self.baseline |= other.baseline
        self.started_at = _earliest(self.started_at, other.started_at)
        self.api_started_at = _earliest(self.api_started_at, other.api_started_at)
        for ident, item in other.items.items():
            mine = self.items.setdefault(ident, {"emitted": [], "done": False, "at": item.get("at", 0.0)})
            mine["emitted"] = sorted(set(mine["emitted"]) | set(item.get("emitted", ())))
            mine["done"] = bool(mine["done"] or item.get("done"))
            mine["at"] = max(float(mine["at"]), float(item.get("at", 0.0)))


def _epoch(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _earliest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


class SeenStore(Protocol):
    where: str

    async def load(self) -> SeenState: ...

    async def save(self, state: SeenState) -> None: ...


class FileSeenStore:
    """``<base>/<name>.json`` under an ``ObjectStoragePath``; every file operation runs in a worker thread."""

    def __init__(self, base: str | None, name: str) -> None:
        self.base = base
        self.name = name
        self.where = f"{base or 'ledger_path/../events'}/{name}.json"

    def _path(self) -> Any:
        if self.base:
            return location(self.base, f"{self.name}.json")
        ledger = configured_location("ledger_path", "ledger").rstrip("/")
        return location(ledger.rsplit("/", 1)[0] + "/events", f"{self.name}.json")

    def _read(self) -> SeenState:
        path = self._path()
        if not path.exists():
            return SeenState()
        return SeenState.from_json(json.loads(path.read_text()))

    def _write(self, body: str) -> None:
        write_private(self._path(), body.encode())

    async def load(self) -> SeenState:
        return await asyncio.to_thread(self._read)

    async def save(self, state: SeenState) -> None:
        await asyncio.to_thread(self._write, json.dumps(state.to_json(), sort_keys=True))


class AssetSeenStore:
    """Airflow 3.3's asset state store, through the accessors the triggerer gives an event trigger."""

    def __init__(self, accessors: Any, name: str) -> None:
        self.key = f"legallymail-events:{name}"
        self.where = f"asset state store, key {self.key}"
        single = getattr(accessors, "_total", 1) == 1
        by_name = list(getattr(accessors, "_by_name", {}).values()) + list(getattr(accessors, "_by_uri", {}).values())
        self.accessors: list[Any] = [accessors] if single or not by_name else by_name

    async def load(self) -> SeenState:
        state = SeenState()
        for accessor in self.accessors:
            state.merge(SeenState.from_json(await accessor.aget(self.key)))
        return state

    async def save(self, state: SeenState) -> None:
        for accessor in self.accessors:
            await accessor.aset(self.key, state.to_json())


def seen_store(asset_state_store: Any, state_path: str | None, name: str) -> SeenStore:
    """The asset state store when the triggerer provides one (Airflow 3.3+) and no path is forced."""
    if asset_state_store is not None and state_path is None:
        return AssetSeenStore(asset_state_store, name)
    return FileSeenStore(state_path, name)
