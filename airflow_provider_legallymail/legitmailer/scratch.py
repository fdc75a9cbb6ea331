"""A throw-away SQLite file for a task's working data (spooled rows, seen addresses, plans).

It lives in a temporary directory removed on exit; SQLite keeps only a small page cache in memory, so
the task's memory stays flat however many rows go through it.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

CACHE_KIB = 2048


def tune(db: sqlite3.Connection) -> sqlite3.Connection:
    """Settings for scratch data that need no durability: no journal, no fsync, a bounded cache."""
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    db.execute("PRAGMA temp_store=FILE")
    return db


@contextmanager
def scratch_db(prefix: str) -> Iterator[tuple[sqlite3.Connection, str]]:
    """An empty SQLite database and the directory it lives in (for other scratch files)."""
    with tempfile.TemporaryDirectory(prefix=f"airflow-legitmailer-{prefix}-") as directory:
        db = tune(sqlite3.connect(os.path.join(directory, "work.sqlite"), isolation_level=None))
        try:
            yield db, directory
        finally:
            db.close()
