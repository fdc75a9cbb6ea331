"""The XCom contracts: the sensors and the archive operator read one return value the same way, and the
event triggers read only send ledgers, not the deadlines, claims and event state kept beside them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.contracts import EmailSendSummary, SignatureSend, SmsSend
from airflow_provider_legallymail.delivery.ledger import accepted_units, claim_once
from airflow_provider_legallymail.evidence.targets import Target, parse_targets
from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.task_documents import PathDocuments
from airflow_provider_legallymail.waiting.wait import fixed_deadline, wait_spec

EMAIL: EmailSendSummary = {
    "sends": [
        {
            "tracking_id": "cm_p1",
            "subject": "s",
            "sent_at": None,
            "status": "sent",
            "recipients": [
                {"email": "ana@example.com", "tracking_id": "cm_a", "status": "sent", "error_details": None}
            ],
            "success_count": 1,
            "fail_count": 0,
        }
    ],
    "tracking_ids": {"ana@example.com": "cm_a"},
    "parent_tracking_ids": ["cm_p1"],
    "status": "sent",
}
SIGNATURE: SignatureSend = {
    "uuid": "u-1",
    "status": "pending",
    "document_name": "c.pdf",
    "signer_email": "ana@example.com",
    "created_at": None,
}
SMS: SmsSend = {"uuid": "u-2", "status": "sent", "phone": "+34600000000", "credits_deducted": 1}


@pytest.mark.parametrize(
    ("value", "kind", "target", "ident"),
    [
        (EMAIL, "email", "delivered", "cm_p1"),
        (SIGNATURE, "signature", "signed", "u-1"),
        (SMS, "sms", "delivered", "u-2"),
    ],
)
def test_a_senders_return_value_names_the_same_item_to_a_sensor_and_to_the_archive(
    value: dict[str, Any], kind: str, target: str, ident: str
) -> None:
    spec = wait_spec(kind, value, target, deadline=1.0)
    assert spec.ids == (ident,)
    assert parse_targets(value) == [Target(kind, ident)]
    rendered = json.dumps([value])  # as Jinja renders an XCom into a templated field
    assert wait_spec(kind, rendered, target, deadline=1.0).ids == (ident,)
    assert parse_targets(rendered) == [Target(kind, ident)]


def waited(kind: str, *ids: str, parties: str = "recipients") -> dict[str, Any]:
    """A ``WaitResult`` as a sensor returns it: each party under its item's id."""
    return {
        "kind": kind,
        "ids": list(ids),
        "target": "delivered",
        "outcome": "reached",
        "decided_at": "2026-01-01T00:00:00+00:00",
        parties: [
            {"who": f"p{n}@example.com", "status": "delivered", "id": i, "certificates": []} for n, i in enumerate(ids)
        ],
    }


def test_a_wait_result_and_a_list_of_them_name_their_ids_to_a_sensor_and_to_the_archive() -> None:
    one, mapped = waited("email", "cm_1", "cm_2"), [waited("email", "cm_3"), waited("email", "cm_4")]
    spec = wait_spec("email", one, "read", deadline=1.0)
    assert (spec.ids, spec.known_parties) == (("cm_1", "cm_2"), ("p0@example.com", "p1@example.com"))
    assert wait_spec("email", json.dumps(mapped), "read", deadline=1.0).ids == ("cm_3", "cm_4")
    targets = parse_targets([one, *mapped])
    assert targets == [Target("email", i) for i in ("cm_1", "cm_2", "cm_3", "cm_4")]
    assert [[p["who"] for p in t.observed.parties] for t in targets if t.observed] == [
        ["p0@example.com"],
        ["p1@example.com"],
        ["p0@example.com"],
        ["p0@example.com"],
    ]


def test_a_senders_summary_with_its_wait_gives_the_archive_what_the_wait_observed() -> None:
    with_wait = {**SIGNATURE, "wait": waited("signature", "u-1", parties="signers")}
    [target] = parse_targets(with_wait)
    assert target == Target("signature", "u-1") and target.observed is not None
    assert target.observed.source == "wait" and target.observed.parties[0]["who"] == "p0@example.com"
    assert parse_targets(SIGNATURE)[0].observed is None  # without a wait: the status is read
    assert wait_spec("signature", with_wait, "signed", deadline=1.0).ids == ("u-1",)


def test_a_sensor_refuses_a_wait_result_of_another_kind() -> None:
    with pytest.raises(ValidationError, match="tracking_id: this mapping names no email"):
        wait_spec("email", waited("sms", "u-2"), "delivered", deadline=1.0)


def test_a_sensor_refuses_a_return_value_of_another_kind_naming_its_field() -> None:
    with pytest.raises(ValidationError, match="uuid: this mapping names no signature"):
        wait_spec("signature", EMAIL, "signed", deadline=1.0)


def test_only_send_ledgers_are_read_for_what_went_out(tmp_path: Path) -> None:
    root = str(tmp_path)
    ledger = PathDocuments(root, "dag", "run", "send")
    accepted = {"state": "accepted", "result": {"uuid": "u-1"}}
    ledger.write("ledger", {"tries": [1], "units": {"signature:x": [accepted]}})
    ledger.write("units/0", {"units": {"sms:y": [{"state": "accepted", "result": {"uuid": "u-2"}}]}})
    fixed_deadline(ledger, 60.0, now=0.0)  # the wait's deadline, beside the ledger
    assert claim_once(root, "notify", "dag", "run")  # a notifier's claim, under the same root
    events = tmp_path / "events" / "abc.json"
    events.parent.mkdir()
    events.write_text(json.dumps({"units": {"signature:z": [accepted]}}))  # not where ledgers live
    assert sorted(key for key, _ in accepted_units(root)) == ["signature:x", "sms:y"]
