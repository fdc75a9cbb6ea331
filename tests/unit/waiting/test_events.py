"""What counts as an outcome, what the payload carries, what the seen-state and the ledger scan remember."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_legallymail.evidence.targets import Target, parse_targets
from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.waiting.event_source import sent_ids
from airflow_provider_legallymail.waiting.events import check_statuses, is_final, payload, reached
from airflow_provider_legallymail.waiting.seen import AssetSeenStore, FileSeenStore, SeenState


def email(*statuses: str, group: str = "pending") -> dict[str, Any]:
    parties = [
        {
            "who": f"r{i}@example.com",
            "status": s,
            "reason": None,
            "times": {"read_at": "2024-01-15T11:00:00" if s == "read" else None},
            "certificates": [{"type": s, "url": f"https://legallymail.com/c?id={i}&token=SECRET1", "hash": "h"}],
        }
        for i, s in enumerate(statuses)
    ]
    return {"kind": "email", "id": "cm_1", "status": group, "parties": parties, "subject": "Contract"}


def test_a_group_email_is_read_only_when_every_recipient_read_and_a_bounce_ends_it() -> None:
    assert reached(email("read", "delivered"), 0) == ["delivered"]
    assert reached(email("read", "read"), 0) == ["delivered", "read"]
    assert reached(email("read", "bounced"), 0) == ["bounced"]
    assert is_final(email("read", "bounced"), 0, ("read",), set())
    assert not is_final(email("read", "delivered"), 0, ("read",), {"delivered"})


def test_a_signature_pending_past_its_expiry_has_expired_and_a_decline_wins() -> None:
    pending = {"kind": "signature", "id": "u", "status": "pending", "expires_at": 1000.0, "parties": []}
    assert reached(pending, 1000.0) == []
    assert reached(pending, 1061.0) == ["expired"]
    declined = {**pending, "parties": [{"who": "a", "status": "declined"}, {"who": "b", "status": "signed"}]}
    assert reached(declined, 0) == ["declined"]


def test_statuses_are_checked_and_ordered_so_identical_watchers_are_equal() -> None:
    assert check_statuses("signature", ["expired", "signed"]) == check_statuses("signature", ("signed", "expired"))
    with pytest.raises(ValidationError, match="statuses"):
        check_statuses("signature", ["read"])


def test_the_payload_is_archive_ready_and_carries_no_credential() -> None:
    body = payload("read", email("read", "read"), "legallymail_default", 0.0)
    assert body["kind"] == "email" and body["id"] == "cm_1" and body["tracking_id"] == "cm_1"
    assert body["subject"] == "Contract" and body["reached_at"] == "2024-01-15T11:00:00"
    assert "SECRET1" not in json.dumps(body) and len(body["certificates"]) == 2
    asset_event = SimpleNamespace(extra={"from_trigger": True, "payload": body})
    assert parse_targets([asset_event, asset_event.extra, body]) == [Target("email", "cm_1")]


def test_the_file_store_survives_a_restart_and_the_asset_store_is_read_as_a_union(tmp_path: Path) -> None:
    state = SeenState(initialized=True)
    state.mark("u1", "signed", 10.0)
    state.finish("u1", 10.0)
    state.track("u2", 11.0)
    store = FileSeenStore(str(tmp_path), "w")
    asyncio.run(store.save(state))
    again = asyncio.run(FileSeenStore(str(tmp_path), "w").load())
    assert again.emitted("u1") == {"signed"} and again.is_done("u1") and again.open_ids() == ["u2"]
    assert [p.name for p in tmp_path.iterdir()] == ["w.json"]  # no temporary file left behind

    class Accessor:
        def __init__(self, value: Any) -> None:
            self.value = value

        async def aget(self, key: str) -> Any:
            return self.value

        async def aset(self, key: str, value: Any) -> None:
            self.value = value

    other = SeenState(initialized=True)
    other.mark("u3", "declined", 12.0)
    accessors = SimpleNamespace(_total=2, _by_name={"a": Accessor(state.to_json()), "b": Accessor(other.to_json())})
    merged = asyncio.run(AssetSeenStore(accessors, "w").load())
    assert merged.emitted("u1") == {"signed"} and merged.emitted("u3") == {"declined"}


def test_the_ledger_scan_finds_what_the_operators_sent_and_nothing_else(tmp_path: Path) -> None:
    accepted = {"state": "accepted", "finished_at": "2030-03-17T00:00:00+00:00", "result": {"uuid": "u1"}}
    units = {
        "signature:abc": [accepted],
        "signature:def": [{"state": "not_processed", "result": None}],
        "email:123": [{"state": "accepted", "result": {"tracking_id": "cm_9"}}],
    }
    task = tmp_path / "dag" / "run" / "sign.json"
    task.parent.mkdir(parents=True)
    task.write_text(json.dumps({"tries": [1], "units": units}))
    (tmp_path / "dag" / "run" / "sign.deadline.json").write_text("{}")
    (tmp_path / "dag" / "run" / "broken.json").write_text("{")
    assert sent_ids("signature", str(tmp_path), now=1.9e9) == ["u1"]
    assert sent_ids("email", str(tmp_path), now=1.9e9) == ["cm_9"]
    assert sent_ids("sms", str(tmp_path / "missing"), now=1.9e9) == []
    assert sent_ids("signature", str(tmp_path), now=1.9e9 + 15 * 86400) == []  # older than the lookback


def test_answers_that_contradict_themselves_announce_no_success() -> None:
    vanished = {**email("read"), "expected_parties": 2}  # a recipient the email has is no longer listed
    assert reached(vanished, 0) == []
    assert not is_final(vanished, 0, ("read",), set())
    assert reached({**email(group="read"), "expected_parties": 2}, 0) == []
    for request in ("declined", "expired"):
        observation = {
            "kind": "signature",
            "id": "u1",
            "status": request,
            "parties": [{"who": "s@x.com", "status": "signed", "times": {}}],
        }
        assert reached(observation, 0) == [request]
