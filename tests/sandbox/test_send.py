"""POST /api/send: aliases, recipients, reply_to, attachments, response shapes and credits."""

from __future__ import annotations

from typing import Any

import pytest

from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, b64, lm_error, send_email


def remaining(lm: Api) -> int:
    value: int = lm.get("/api/info").json()["user"]["remaining_emails"]
    return value


def test_single_recipient_answer(lm: Api) -> None:
    body = lm.post("/api/send", json={"recipient": "ana@example.com", "subject": "Hi", "message": "<p>x</p>"}).json()
    assert body["success"] is True
    assert body["message"] == "Email sent successfully"
    data = body["data"]
    assert data["tracking_id"].startswith("cm_") and not data["tracking_id"].startswith("cm_parent_")
    assert data["recipient"] == "ana@example.com"
    assert data["subject"] == "Hi"
    assert data["mailsender_id"]
    assert len(data["sent_at"]) == 19 and data["sent_at"][10] == " "


def test_multi_recipient_answer_has_a_parent_and_one_id_per_recipient(lm: Api) -> None:
    body = lm.post("/api/send", json={"recipient": "a@example.com, b@example.com", "subject": "S", "message": "m"})
    payload = body.json()
    assert payload["message"] == "Email sent to 2 of 2 recipients"
    data = payload["data"]
    assert data["tracking_id"].startswith("cm_parent_")
    assert [r["email"] for r in data["recipients"]] == ["a@example.com", "b@example.com"]
    ids = [r["tracking_id"] for r in data["recipients"]]
    assert all(i.startswith("cm_") and not i.startswith("cm_parent_") for i in ids) and len(set(ids)) == 2
    assert {r["status"] for r in data["recipients"]} == {"sent"}
    assert (data["success_count"], data["fail_count"], data["error_status"]) == (2, 0, None)


@pytest.mark.parametrize(
    "body",
    [
        {"to": "ana@example.com", "subject": "s", "body": "m"},
        {"recipient": "ana@example.com", "subject": "s", "content": "m"},
        {"to": "ana@example.com", "subject": "s", "message": "m", "reply_to": "me@example.com", "reply_to_name": "Me"},
    ],
)
def test_field_aliases_are_accepted(lm: Api, body: dict[str, Any]) -> None:
    assert lm.post("/api/send", json=body).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "s", "message": "m"}, "recipient"),
        ({"recipient": " , ", "subject": "s", "message": "m"}, "recipient"),
        ({"recipient": "not-an-address", "subject": "s", "message": "m"}, "recipient"),
        ({"recipient": "a@example.com, nope", "subject": "s", "message": "m"}, "recipient"),
        ({"recipient": "a@example.com", "message": "m"}, "subject"),
        ({"recipient": "a@example.com", "subject": "s"}, "message"),
        ({"recipient": "a@example.com", "subject": "s", "message": "  "}, "message"),
        ({"recipient": "a@example.com", "subject": "s", "message": "m", "reply_to": "bad"}, "reply_to"),
        ({"recipient": "a@example.com", "subject": "s", "message": "m", "reply_to": "me+unverified@x.com"}, "reply_to"),
        ({"recipient": "a@example.com", "subject": "s", "message": "m", "attachments": "x"}, "attachments"),
        (
            {"recipient": "a@example.com", "subject": "s", "message": "m", "attachments": [{"filename": "a.txt"}]},
            "attachments[0]",
        ),
        (
            {
                "recipient": "a@example.com",
                "subject": "s",
                "message": "m",
                "attachments": [{"filename": "a.txt", "content": "%%%not base64", "mime_type": "text/plain"}],
            },
            "attachments[0].content",
        ),
    ],
)
def test_invalid_data_is_400_naming_the_field(lm: Api, body: dict[str, Any], field: str) -> None:
    assert lm_error(lm.post("/api/send", json=body), 400).startswith(field)
    assert lm.get("/api/emails", params={"limit": 25}).json()["count"] == 0


def test_valid_attachments_are_accepted(lm: Api) -> None:
    attachment = {"filename": "a.txt", "content": b64(b"hello"), "mime_type": "text/plain"}
    send_email(lm, "ana@example.com", attachments=[attachment])


def test_recipient_limit_is_ten_by_default(lm: Api) -> None:
    ten = ", ".join(f"r{i}@example.com" for i in range(10))
    assert len(send_email(lm, ten)["recipients"]) == 10
    eleven = ten + ", r10@example.com"
    message = lm_error(lm.post("/api/send", json={"recipient": eleven, "subject": "s", "message": "m"}), 400)
    assert "at most 10" in message


def test_each_sent_recipient_costs_one_credit(lm: Api) -> None:
    before = remaining(lm)
    send_email(lm, "a@example.com, b@example.com, c@example.com")
    assert remaining(lm) == before - 3


def test_failed_recipients_are_not_charged_and_reported_at_once(lm: Api) -> None:
    before = remaining(lm)
    data = send_email(lm, "a@example.com, b+fail@example.com")
    assert remaining(lm) == before - 1
    statuses = {r["email"]: (r["status"], r["error_details"]) for r in data["recipients"]}
    assert statuses["a@example.com"] == ("sent", None)
    assert statuses["b+fail@example.com"][0] == "failed" and statuses["b+fail@example.com"][1]
    assert (data["success_count"], data["fail_count"]) == (1, 1)
    assert data["error_status"]


def test_single_failed_recipient_shows_failed_status(lm: Api) -> None:
    data = send_email(lm, "b+fail@example.com")
    assert data["status"] == "failed"


def test_not_enough_credits_is_403_and_sends_nothing(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.set_credits(emails=2)
    message = lm_error(
        lm.post("/api/send", json={"recipient": "a@x.com, b@x.com, c@x.com", "subject": "s", "message": "m"}), 403
    )
    assert "insufficient credits" in message.lower()
    assert remaining(lm) == 2
    assert lm.get("/api/emails", params={"limit": 25}).json()["count"] == 0
    send_email(lm, "a@x.com, b@x.com")
    assert remaining(lm) == 0
    lm_error(lm.post("/api/send", json={"recipient": "a@x.com", "subject": "s", "message": "m"}), 403)


def test_info_reports_the_plan_and_credits(sandbox: SandboxServer, lm: Api) -> None:
    info = lm.get("/api/info").json()
    assert info["name"] == "LegallyMail API"
    user = info["user"]
    assert (user["plan"], user["plan_limit"], user["remaining_emails"]) == ("professional", 100, 100)
    sandbox.set_credits(emails=7)
    assert lm.get("/api/info").json()["user"]["remaining_emails"] == 7
