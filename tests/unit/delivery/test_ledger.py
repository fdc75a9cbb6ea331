"""The send ledger keeps its own state names, and still reads ledgers written with the old ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger
from airflow_provider_legallymail.statuses import EmailStatus


def test_attempt_states_share_no_value_with_the_email_statuses() -> None:
    assert {s.value for s in AttemptState} & {s.value for s in EmailStatus} == set()


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("pending", AttemptState.STARTED),
        ("sent", AttemptState.ACCEPTED),
        ("unsent", AttemptState.NOT_PROCESSED),
        ("unknown", AttemptState.IN_DOUBT),
        ("accepted", AttemptState.ACCEPTED),
        ("something else", AttemptState.IN_DOUBT),
    ],
)
def test_a_ledger_written_before_the_rename_is_read_the_same_way(tmp_path: Path, written: str, read: str) -> None:
    path = tmp_path / "dag" / "run" / "task.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    attempt = {"try": 1, "at": "2026-01-01T00:00:00+00:00", "state": written, "request": {}}
    path.write_text(json.dumps({"tries": [1], "units": {"email:x": [attempt]}}))
    last = SendLedger.at(f"file://{tmp_path}", "dag", "run", "task").load().last_attempt("email:x")
    assert last is not None and last["state"] is read


def test_states_round_trip_through_the_file(tmp_path: Path) -> None:
    ledger = SendLedger.at(f"file://{tmp_path}", "dag", "run", "task", map_index=3).load()
    ledger.start_try(1)
    ledger.begin("sms:+34600000000", 1, {"phone": "+34600000000"})
    assert ledger.last_attempt("sms:+34600000000")["state"] is AttemptState.STARTED  # type: ignore[index]
    ledger.finish("sms:+34600000000", AttemptState.ACCEPTED, result={"uuid": "u1"})
    again = SendLedger.at(f"file://{tmp_path}", "dag", "run", "task", map_index=3).load()
    assert again.where.endswith("/dag/run/task.3.json")
    last = again.last_attempt("sms:+34600000000")
    assert last is not None and last["state"] is AttemptState.ACCEPTED and last["result"] == {"uuid": "u1"}
    assert (
        json.loads((tmp_path / "dag" / "run" / "task.3.json").read_text())["units"]["sms:+34600000000"][0]["state"]
        == "accepted"
    )
