"""Persistence of the sandbox state: nothing (in memory), or a SQLite file written through on every change.

One table of JSON rows keyed by (kind, key), in insertion order, so a demo's state can be inspected
afterwards (``sqlite3 sandbox.db "select kind, key, data from records"``) and reloaded by a new server.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, key)
)
"""


class Store:
    """Write-through rows; ``path=None`` keeps nothing (the in-memory state is the only copy)."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute(_SCHEMA)

    @property
    def persistent(self) -> bool:
        return self._db is not None

    def put(self, kind: str, key: str, data: Any) -> None:
        if self._db is None:
            return
        with self._lock:
            self._db.execute(
                "INSERT INTO records (kind, key, data) VALUES (?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data",
                (kind, key, json.dumps(data)),
            )

    def delete(self, kind: str, key: str) -> None:
        if self._db is None:
            return
        with self._lock:
            self._db.execute("DELETE FROM records WHERE kind = ? AND key = ?", (kind, key))

    def load(self, kind: str) -> list[tuple[str, Any]]:
        """Every row of ``kind`` as (key, data), oldest first."""
        if self._db is None:
            return []
        with self._lock:
            rows = self._db.execute("SELECT key, data FROM records WHERE kind = ? ORDER BY rowid", (kind,)).fetchall()
        return [(str(key), json.loads(data)) for key, data in rows]

    def clear(self) -> None:
        if self._db is None:
            return
        with self._lock:
            self._db.execute("DELETE FROM records")

    def close(self) -> None:
        if self._db is not None:
            with self._lock:
                self._db.close()
            self._db = None
