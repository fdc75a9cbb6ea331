"""The snapshot of one contact list: what the last sync wrote (customer id -> content digest).

Legitmailer cannot list a list's contacts, so a sync keeps its own record. It is a small SQLite file
stored at an ``ObjectStoragePath`` (``<snapshot_path>/<contact list id>.sqlite``; default
``file://$AIRFLOW_HOME/legallymail/contact-snapshots``), copied to a local scratch directory for the run
and copied back at the end. Only rows the API accepted are recorded. A missing, unreadable or foreign
snapshot (another list or key column) is treated as absent: the sync then checks every row with a GET
and writes a new one.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from typing import Any

from airflow_provider_legallymail.legitmailer.scratch import tune
from airflow_provider_legallymail.private_files import replacing
from airflow_provider_legallymail.storage import airflow_home_url, location, segment
from airflow_provider_legallymail.topology import local_location

log = logging.getLogger(__name__)

FORMAT = "1"
COMMIT_EVERY = 1000


def default_snapshot_path() -> str:
    return airflow_home_url("contact-snapshots")


def snapshot_location(base: Any, contact_list_id: str) -> Any:
    return location(base or default_snapshot_path(), f"{segment(contact_list_id)}.sqlite")


class ContactSnapshot:
    """A local working copy of a list's snapshot; ``usable`` is False when there was none to trust."""

    def __init__(self, remote: Any, local_dir: str, meta: dict[str, str]) -> None:
        self.remote = remote
        self.local = os.path.join(local_dir, "snapshot.sqlite")
        self.meta = {"format": FORMAT, **meta}
        self.usable = self._fetch()
        if not self.usable and os.path.exists(self.local):
            os.remove(self.local)
        self.db = tune(sqlite3.connect(self.local, isolation_level=None))
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
        self.db.execute("CREATE TABLE IF NOT EXISTS contacts (customer_id TEXT PRIMARY KEY, digest TEXT)")
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", self.meta.items())
        self.db.execute("BEGIN")
        self._pending = 0

    def _fetch(self) -> bool:
        try:
            if not self.remote.exists():
                log.info("No contact snapshot at %s: every row is checked with a GET", self.remote)
                return False
            with self.remote.open("rb") as source, open(self.local, "wb") as target:
                shutil.copyfileobj(source, target)
            db = sqlite3.connect(self.local)
            try:
                stored = dict(db.execute("SELECT name, value FROM meta").fetchall())
                db.execute("SELECT count(*) FROM contacts").fetchone()
            finally:
                db.close()
        except (OSError, sqlite3.Error) as exc:
            log.warning(
                "The contact snapshot at %s is unreadable (%s): every row is checked with a GET", self.remote, exc
            )
            return False
        if any(stored.get(name) != value for name, value in self.meta.items()):
            log.warning(
                "The contact snapshot at %s was written for %s, not %s: ignored", self.remote, stored, self.meta
            )
            return False
        return True

    def record(self, customer_id: str, digest: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO contacts VALUES (?, ?)", (customer_id, digest))
        self._tick()

    def forget(self, customer_id: str) -> None:
        self.db.execute("DELETE FROM contacts WHERE customer_id = ?", (customer_id,))
        self._tick()

    def _tick(self) -> None:
        self._pending += 1
        if self._pending >= COMMIT_EVERY:
            self.db.execute("COMMIT")
            self.db.execute("BEGIN")
            self._pending = 0

    def close(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")
        self.db.close()

    def save(self) -> None:
        """Copy the local file back: to ``<name>.partial`` first, then renamed over the old snapshot (on a
        local disk: a private temporary file, ``private_files.replacing``)."""
        self.close()
        if local_location(self.remote):
            with open(self.local, "rb") as source, replacing(str(self.remote.path)) as target:
                shutil.copyfileobj(source, target)
            return
        partial = self.remote.parent / (self.remote.name + ".partial")
        self.remote.parent.mkdir(parents=True, exist_ok=True)
        with open(self.local, "rb") as source, partial.open("wb") as target:
            shutil.copyfileobj(source, target)
        partial.rename(self.remote)
