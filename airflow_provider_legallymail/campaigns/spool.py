"""Spool a campaign's planned sends into a scratch SQLite file, so pass 2 streams them back.

Rows that plan the very same send (same key: same recipient and content) are duplicates: the first is kept,
the others counted and skipped. Two rows for the same recipient with different content are a problem (named
by their row numbers) unless ``repeat_recipients``: a certified notice sent twice to one person is most
often a mistake in the data.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from airflow_provider_legallymail.campaigns.rows import Planned, shard_of
from airflow_provider_legallymail.legitmailer.problems import Problems, RowError
from airflow_provider_legallymail.legitmailer.row_sources import BadRow, Row

FETCH = 200
CACHE_KIB = 512  # SQLite's page cache for the spool: the largest part of a campaign's own memory


@dataclass
class Spooled:
    """The outcome of pass 1."""

    rows: int = 0
    to_send: int = 0
    duplicates: int = 0
    invalid: Problems = field(default_factory=lambda: Problems("the rows"))


@dataclass(frozen=True)
class Item:
    """One spooled send: its row number (from 1), unit key, the row's own key (``key_column``) and data."""

    number: int
    key: str
    row_key: str | None
    data: dict[str, object]


def spool(
    db: sqlite3.Connection,
    rows: Iterable[Row | BadRow],
    plan: Callable[[Row | BadRow], Planned],
    *,
    repeat_recipients: bool = False,
    recipient_column: str = "email",
) -> Spooled:
    """Pass 1: plan every row and spool the sends into ``db`` (table ``spool``)."""
    db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    db.execute(
        "CREATE TABLE spool (seq INTEGER PRIMARY KEY, key TEXT UNIQUE, shard INT, number INT, row_key TEXT, data TEXT)"
    )
    db.execute("CREATE TABLE who (who TEXT PRIMARY KEY, number INT)")
    done = Spooled()
    db.execute("BEGIN")
    for number, row in enumerate(rows, start=1):
        done.rows = number
        try:
            planned = plan(row)
        except RowError as exc:
            done.invalid.add(f"row {number}", str(exc))
            continue
        if db.execute("SELECT 1 FROM spool WHERE key = ?", (planned.key,)).fetchone():
            done.duplicates += 1
            continue
        if not repeat_recipients:
            first = db.execute("SELECT number FROM who WHERE who = ?", (planned.who,)).fetchone()
            if first:
                done.invalid.add(f"row {number}", f"{recipient_column}: the same recipient as row {first[0]}")
                continue
            db.execute("INSERT INTO who (who, number) VALUES (?, ?)", (planned.who, number))
        db.execute(
            "INSERT INTO spool (key, shard, number, row_key, data) VALUES (?, ?, ?, ?, ?)",
            (planned.key, shard_of(planned.key), number, planned.row_key, json.dumps(planned.data)),
        )
        done.to_send += 1
    db.execute("COMMIT")
    return done


def spooled(db: sqlite3.Connection) -> Iterator[Item]:
    """The spooled sends in row order, read a few at a time."""
    cursor = db.execute("SELECT number, key, row_key, data FROM spool ORDER BY seq")
    while chunk := cursor.fetchmany(FETCH):
        for number, key, row_key, data in chunk:
            yield Item(number, key, row_key, json.loads(data))


def keys_by_shard(db: sqlite3.Connection) -> Iterator[str]:
    """The spooled unit keys, shard after shard: a ledger reading shards on demand reads each once."""
    cursor = db.execute("SELECT key FROM spool ORDER BY shard, seq")
    while chunk := cursor.fetchmany(FETCH):
        yield from (key for (key,) in chunk)
