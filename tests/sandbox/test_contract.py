"""Contract: answers have the documented fields and JSON types (the examples of ../shared/API.md, kept in
tests/api_examples.py) whatever the outcome; the documented requests themselves are in test_doc_requests.py."""

from __future__ import annotations

from typing import Any

from legallymail_sandbox.server import SandboxServer
from tests import api_examples as ex
from tests.sandbox.contract import assert_conforms, conforms
from tests.sandbox.support import Api


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def test_checker_catches_missing_keys_and_wrong_types() -> None:
    assert conforms({"a": 1}, [{"a": 1, "b": "x"}]) == ["$.b: missing"]
    assert conforms({"a": "1"}, [{"a": 1}]) == ["$.a: string, documented as integer"]
    assert conforms({"a": None}, [{"a": 1}]) == ["$.a: null, documented as integer"]
    assert conforms([{"a": None}], [[{"a": 1}, {"a": None}]]) == []
    assert conforms([], [[{"a": 1}]]) == ["$: empty, documented with items"]


def test_email_list_and_detail_examples(sandbox: SandboxServer, lm: Api) -> None:
    group = {
        "recipient": "a@example.com, b+noread@example.com, c+softbounce@example.com",
        "subject": "G",
        "message": "m",
    }
    ok(lm.post("/api/send", json=group))
    sandbox.advance(1)
    solo = ok(lm.post("/api/send", json={"recipient": "example@example.com", "subject": "T", "message": "m"}))
    pair = ok(
        lm.post(
            "/api/send", json={"recipient": "r1@example.com, r2+noread@example.com", "subject": "G", "message": "m"}
        )
    )
    sandbox.advance(60)
    assert_conforms(ok(lm.get("/api/emails?limit=10")), ex.LM_EMAILS)
    assert_conforms(ok(lm.get("/api/email", params={"tracking_id": pair["data"]["tracking_id"]})), ex.LM_EMAIL)
    single = ok(lm.get("/api/email", params={"tracking_id": solo["data"]["tracking_id"]}))
    top_level = {k: v for k, v in ex.LM_EMAIL["email"].items() if k != "recipients"}
    assert_conforms(single["email"], top_level)
    for key in ("delivered_at", "error_details"):
        assert key in single["email"]


def test_sms_examples(sandbox: SandboxServer, lm: Api) -> None:
    sent = ok(lm.post("/api/sms/send", json={"phone": "+34600000000", "message": "Contenido del SMS"}))
    assert_conforms(sent, ex.LM_SMS_SEND)
    sandbox.advance(10)
    assert_conforms(ok(lm.get("/api/sms", params={"uuid": sent["uuid"]})), ex.LM_SMS)


def essence(email: dict[str, Any]) -> Any:
    """What the documented group example says: statuses, errors and which certificates are listed."""
    recipients = [
        (r["status"], r["error_details"], [c["certificate_type"] for c in r["certificates"]])
        for r in email["recipients"]
    ]
    return (email["status"], email["read_at"], email["is_multi_recipient"], email["certificates"], recipients)


def test_the_documented_group_detail_is_reproduced(sandbox: SandboxServer, lm: Api) -> None:
    """A pending group; one recipient read (one read certificate), one soft-bounced yet delivered."""
    body = {"recipient": "recipient1@example.com, recipient2+softbounce@example.com", "subject": "G", "message": "m"}
    tracking_id = ok(lm.post("/api/send", json=body))["data"]["tracking_id"]
    sandbox.advance(60)
    email = ok(lm.get("/api/email", params={"tracking_id": tracking_id}))
    assert_conforms(email, ex.LM_EMAIL)
    assert essence(email["email"]) == essence(ex.LM_EMAIL["email"])
