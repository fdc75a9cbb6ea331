"""Legitmailer: templates, plain and template sends, validate, batches, delayed sends and cancellation."""

from __future__ import annotations

from typing import Any

import pytest

from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, lt_error

PLAIN = {"fromAddress": "info@example.com", "toAddress": "ana@example.com", "subject": "hello", "body": "FYI"}


def test_template_list_and_detail(lt: Api) -> None:
    listing = lt.get("/api/template/list").json()
    names = {t["name"]: t["templateId"] for t in listing["templates"]}
    assert listing["count"] == 3
    assert names["registration"] == "cmVnaXN0cmF0aW9u"
    assert set(names) == {"welcome", "registration", "contract-reminder"}
    detail = lt.get(f"/api/template/{names['contract-reminder']}").json()
    assert detail["name"] == "contract-reminder"
    assert detail["tokens"] == ["contract", "name", "due_date"]
    assert "${due_date}" in detail["body"]
    assert set(detail) == {"contentType", "fromEmail", "name", "subject", "body", "tokens"}
    lt_error(lt.get("/api/template/bm9wZQ"), 404)


def test_plain_send_is_recorded(sandbox: SandboxServer, lt: Api) -> None:
    tracking_id = lt.post("/api/email", json=PLAIN).json()["trackingId"]
    (sent,) = sandbox.legitmailer_sent()
    assert sent["tracking_id"] == tracking_id
    assert (sent["to_address"], sent["subject"], sent["body"], sent["content_type"]) == (
        "ana@example.com",
        "hello",
        "FYI",
        "text/html",
    )
    lt.post("/api/email", json={**PLAIN, "contentType": "text/plain"})
    assert sandbox.legitmailer_sent()[1]["content_type"] == "text/plain"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fromAddress": None}, "fromAddress"),
        ({"toAddress": "nope"}, "toAddress"),
        ({"subject": ""}, "subject"),
        ({"body": None}, "body"),
        ({"contentType": "application/json"}, "contentType"),
        ({"toAddress": "ana+invalid@example.com", "validate": True}, "toAddress"),
        ({"toAddress": "ana+invalid@example.com", "validate": "true"}, "toAddress"),
    ],
)
def test_invalid_plain_send_is_400(sandbox: SandboxServer, lt: Api, change: dict[str, Any], field: str) -> None:
    body = {k: v for k, v in {**PLAIN, **change}.items() if v is not None}
    assert lt_error(lt.post("/api/email", json=body), 400).startswith(field)
    assert sandbox.legitmailer_sent() == []


def test_invalid_tag_passes_without_validate(lt: Api) -> None:
    body = {**PLAIN, "toAddress": "ana+invalid@example.com", "validate": "false"}
    assert lt.post("/api/email", json=body).status_code == 200


def test_template_send_renders_tokens(sandbox: SandboxServer, lt: Api) -> None:
    body = {
        "template": "contract-reminder",
        "email": "ana@example.com",
        "tokenMap": {"name": "Ana", "contract": "C-42", "due_date": "2030-01-31", "unused": "fine"},
    }
    assert lt.post("/api/email/template", json=body).status_code == 200
    (sent,) = sandbox.legitmailer_sent()
    assert sent["subject"] == "Reminder: contract C-42"
    assert sent["body"] == "<p>Dear Ana,</p><p>your contract C-42 is due on 2030-01-31.</p>"
    assert sent["template"] == "contract-reminder"


def test_template_send_errors(sandbox: SandboxServer, lt: Api) -> None:
    missing = {"template": "contract-reminder", "email": "ana@example.com", "tokenMap": {"name": "Ana"}}
    message = lt_error(lt.post("/api/email/template", json=missing), 400)
    assert message.startswith("tokenMap") and "contract" in message and "due_date" in message
    unknown = {"template": "nope", "email": "ana@example.com", "tokenMap": {}}
    lt_error(lt.post("/api/email/template", json=unknown), 404)
    lt_error(lt.post("/api/email/template", json={"template": "welcome", "email": "ana@example.com"}), 400)
    assert sandbox.legitmailer_sent() == []


def test_batch_is_all_or_nothing(sandbox: SandboxServer, lt: Api) -> None:
    entries: list[dict[str, Any]] = [
        {"email": "a@example.com", "tokenMap": {"username": "a"}},
        {"email": "b@example.com", "tokenMap": {"username": "b"}},
    ]
    bad = [*entries, {"email": "c@example.com", "tokenMap": {}}]
    message = lt_error(lt.post("/api/batch/email/template", json={"template": "registration", "emailList": bad}), 400)
    assert message.startswith("emailList[2]")
    assert sandbox.legitmailer_sent() == []
    invalid = [*entries, {"email": "c+invalid@example.com", "tokenMap": {"username": "c"}}]
    body = {"template": "registration", "emailList": invalid, "validate": True}
    assert lt_error(lt.post("/api/batch/email/template", json=body), 400).startswith("emailList[2].email")
    ids = lt.post("/api/batch/email/template", json={"template": "registration", "emailList": entries}).json()
    sent = sandbox.legitmailer_sent()
    assert ids["trackingIds"] == [s["tracking_id"] for s in sent]
    assert [s["to_address"] for s in sent] == ["a@example.com", "b@example.com"]
    assert "hi a," in sent[0]["body"]
    lt_error(lt.post("/api/batch/email/template", json={"template": "registration", "emailList": []}), 400)


def test_delayed_send_goes_out_after_its_delay_in_seconds(sandbox: SandboxServer, lt: Api) -> None:
    request_id = lt.post("/api/email/delayed", json={**PLAIN, "delay": 300}).json()["requestId"]
    sandbox.advance(299)
    assert sandbox.legitmailer_sent() == []
    sandbox.advance(1)
    (sent,) = sandbox.legitmailer_sent()
    assert sent["request_id"] == request_id
    lt_error(lt.delete(f"/api/email/delayed/{request_id}"), 400)


def test_delayed_send_can_be_cancelled_while_queued(sandbox: SandboxServer, lt: Api) -> None:
    body = {"template": "welcome", "email": "ana@example.com", "tokenMap": {"name": "Ana"}, "delay": 60}
    request_id = lt.post("/api/email/template/delayed", json=body).json()["requestId"]
    response = lt.delete(f"/api/email/delayed/{request_id}")
    assert response.status_code == 204 and response.content == b""
    sandbox.advance(120)
    assert sandbox.legitmailer_sent() == []
    assert "cancelled" in lt_error(lt.delete(f"/api/email/delayed/{request_id}"), 400)
    lt_error(lt.delete("/api/email/delayed/unknown"), 400)


@pytest.mark.parametrize("delay", [None, 0, -5, "soon", True])
def test_delay_is_required_and_positive(lt: Api, delay: Any) -> None:
    body = {**PLAIN, "delay": delay} if delay is not None else PLAIN
    assert lt_error(lt.post("/api/email/delayed", json=body), 400).startswith("delay")
