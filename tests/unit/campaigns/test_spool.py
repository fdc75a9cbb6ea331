"""Pass 1 spools the sends: identical rows once, a repeated recipient a problem unless allowed."""

from __future__ import annotations

import sqlite3

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
