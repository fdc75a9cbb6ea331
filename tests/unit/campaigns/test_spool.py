"""Pass 1 spools the sends: identical rows once, a repeated recipient a problem unless allowed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from airflow_provider_legallymail.campaigns.rows import EmailRows
from airflow_provider_legallymail.campaigns.spool import spool, spooled
from airflow_provider_legallymail.legitmailer.row_sources import RowSource


def rows() -> RowSource:
    return RowSource(
        rows=[
            {"email": "a@example.com", "subject": "One", "html": "x"},
            {"email": "A@example.com", "subject": "One", "html": "x"},  # the same send again
            {"email": "b@example.com", "subject": "One", "html": "x"},
            {"email": "a@example.com", "subject": "Two", "html": "y"},  # a second notice to a@
            {"email": "", "subject": "One", "html": "x"},
        ]
    )


def test_identical_rows_are_sent_once_and_a_repeated_recipient_is_a_problem_named_by_row() -> None:
    db = sqlite3.connect(":memory:", isolation_level=None)
    done = spool(db, rows(), EmailRows().plan)
    assert (done.rows, done.to_send, done.duplicates, done.invalid.count) == (5, 2, 1, 2)
    assert done.invalid.first == ["row 4: email: the same recipient as row 1", "row 5: email: missing"]
    assert [(item.number, item.data["subject"]) for item in spooled(db)] == [(1, "One"), (3, "One")]


def test_repeat_recipients_sends_each_distinct_notice() -> None:
    db = sqlite3.connect(":memory:", isolation_level=None)
    done = spool(db, rows(), EmailRows().plan, repeat_recipients=True)
    assert (done.to_send, done.duplicates, done.invalid.count) == (3, 1, 1)
    assert [item.number for item in spooled(db)] == [1, 3, 4]


def test_what_is_left_to_send_counts_rows_not_recorded_as_sent(tmp_path: Path) -> None:
    from airflow_provider_legallymail.campaigns.ledger import LazyShardLedger
    from airflow_provider_legallymail.campaigns.rows import shard_of
    from airflow_provider_legallymail.campaigns.send import to_send
    from airflow_provider_legallymail.delivery.ledger import AttemptState
    from airflow_provider_legallymail.task_documents import PathDocuments

    db = sqlite3.connect(":memory:", isolation_level=None)
    many = RowSource(rows=[{"email": f"p{i}@example.com", "subject": "s", "html": "h"} for i in range(40)])
    spool(db, many, EmailRows().plan)
    ledger = LazyShardLedger(PathDocuments(f"file://{tmp_path}", "d", "r", "t"), shard_of=shard_of).load()
    ledger.start_try(1)
    items = list(spooled(db))
    for item in items[:10]:  # sent by try 1
        ledger.begin(item.key, 1, {})
        ledger.finish(item.key, AttemptState.ACCEPTED, result={})
    ledger.begin(items[10].key, 1, {})  # try 1 was lost during this one: it may have gone out
    assert to_send(db, ledger) == (30, 10)
