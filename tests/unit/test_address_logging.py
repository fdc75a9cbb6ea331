"""The one rule for recipients in task logs: masked unless ``log_addresses``, counts instead of lists."""

from __future__ import annotations

from typing import Any

from airflow_provider_legallymail.address_logging import for_log, in_text, masked, request_for_log
from airflow_provider_legallymail.waiting.observations import describe_changes


def test_addresses_and_phones_are_masked_unless_shown() -> None:
    assert masked("ana.garcia@example.com") == "a***@example.com"
    assert masked("+34600123456") == "+34*******56"
    assert masked("123") == "***"
    assert for_log("ana@example.com", False) == "a***@example.com"
    assert for_log("ana@example.com", True) == "ana@example.com"
    assert for_log(None, True) == ""


def test_an_error_names_a_send_without_its_addresses() -> None:
    text = request_for_log({"recipients": ["ana@example.com", "bob@example.com"], "subject": "Notice"})
    assert text == "{recipients=[a***@example.com, b***@example.com], subject='Notice'}"
    assert "600123456" not in request_for_log({"phone": "+34600123456"})
    assert "ana@" not in request_for_log({"document_name": "c.pdf", "signer_emails": ["ana@example.com"]})


def email(*parties: tuple[str, str]) -> dict[str, Any]:
    return {"kind": "email", "id": "cm_1", "parties": [{"who": w, "status": s} for w, s in parties]}


def test_a_poll_logs_counts_and_masked_failures_or_every_party_when_shown() -> None:
    before = email(("ana@example.com", "sent"), ("bob@example.com", "sent"), ("eve@example.com", "sent"))
    after = email(("ana@example.com", "delivered"), ("bob@example.com", "bounced"), ("eve@example.com", "sent"))
    assert describe_changes(before, after) == [
        "email cm_1: 2 recipients now 1 delivered, 1 bounced (b***@example.com bounced)"
    ]
    assert describe_changes(before, after, show=True) == [
        "email cm_1: ana@example.com sent -> delivered",
        "email cm_1: bob@example.com sent -> bounced",
    ]
    assert describe_changes(after, after) == []


def test_a_message_names_every_address_and_phone_in_it_as_the_rule_says() -> None:
    text = "email cm_1: recipient ana.garcia@example.com, b+x@corp.example.org bounced; sms to +34600123456 failed"
    assert in_text(text, show=False) == (
        "email cm_1: recipient a***@example.com, b***@corp.example.org bounced; sms to +34*******56 failed"
    )
    assert in_text(text, show=True) == text
