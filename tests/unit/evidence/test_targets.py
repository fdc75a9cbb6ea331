"""What to archive, from ids, lists and the sending operators' return values; bad input names its field."""

from __future__ import annotations

import pytest

from airflow_provider_legallymail.evidence.targets import Target, parse_targets
from airflow_provider_legallymail.exceptions import ValidationError

EMAIL_RESULT = {
    "sends": [{"tracking_id": "cm_p1"}, {"tracking_id": "cm_p2"}],
    "tracking_ids": {"a@x.com": "cm_a", "b@x.com": "cm_b"},
    "parent_tracking_ids": ["cm_p1", "cm_p2"],
    "status": "sent",
}


def test_email_operator_result_archives_each_send_by_its_parent_tracking_id() -> None:
    assert parse_targets(EMAIL_RESULT) == [Target("email", "cm_p1"), Target("email", "cm_p2")]


def test_signature_and_sms_results_are_told_apart_by_their_fields() -> None:
    signature = {"uuid": "u-1", "status": "pending", "document_name": "c.pdf", "signer_email": "a@x.com"}
    sms = {"uuid": "u-2", "status": "sent", "phone": "+34600000000", "credits_deducted": 1}
    assert parse_targets([signature, sms]) == [Target("signature", "u-1"), Target("sms", "u-2")]


def test_bare_ids_need_a_kind_and_duplicates_are_archived_once() -> None:
    with pytest.raises(ValidationError, match="evidence: 'u-1' is a bare id: set kind") as caught:
        parse_targets("u-1")
    assert caught.value.field == "evidence"
    assert parse_targets("u-1, u-2,u-1", kind="sms") == [Target("sms", "u-1"), Target("sms", "u-2")]


def test_a_list_rendered_by_jinja_and_explicit_kind_id_mappings() -> None:
    assert parse_targets("['cm_1', 'cm_2']", kind="email") == [Target("email", "cm_1"), Target("email", "cm_2")]
    assert parse_targets({"kind": "signature", "id": "u-9"}) == [Target("signature", "u-9")]
    assert parse_targets({"tracking_id": "cm_3", "status": "read"}) == [Target("email", "cm_3")]


@pytest.mark.parametrize(
    ("value", "kind", "field", "message"),
    [
        ("cm_1", "letter", "kind", "expected one of email, signature, sms"),
        ([], None, "evidence", "nothing to archive"),
        ({"foo": 1}, None, "evidence", "names nothing to archive"),
        ({"uuid": "u-1", "status": "sent"}, None, "evidence", "is a bare id"),
        (3.5, None, "evidence", "got float"),
    ],
)
def test_unusable_input_fails_naming_the_field(value: object, kind: str | None, field: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        parse_targets(value, kind)
    assert caught.value.field == field


def test_two_waits_on_one_email_are_archived_once_with_every_party_each_as_last_seen() -> None:
    def waited(at: str, *parties: tuple[str, str]) -> dict[str, object]:
        recipients = [{"who": w, "status": s, "id": "cm_1", "certificates": []} for w, s in parties]
        return {"kind": "email", "ids": ["cm_1"], "outcome": "reached", "decided_at": at, "recipients": recipients}

    first = waited("2026-01-01T00:00:00+00:00", ("a@x.com", "delivered"), ("b@x.com", "delivered"))
    later = waited("2026-01-02T00:00:00+00:00", ("a@x.com", "read"))
    [target] = parse_targets(["cm_1", first, later], kind="email")
    assert target.observed is not None and target.observed.at == "2026-01-02T00:00:00+00:00"
    assert {p["who"]: p["status"] for p in target.observed.parties} == {"a@x.com": "read", "b@x.com": "delivered"}
