"""Certified SMS: validation, credits, delivered or failed over time, certificate download."""

from __future__ import annotations

from typing import Any

import pytest

from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, lm_error


def send_sms(lm: Api, phone: str = "+34600000000", message: str = "Hola") -> str:
    response = lm.post("/api/sms/send", json={"phone": phone, "message": message})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["success"], body["status"], body["credits_deducted"]) == (True, "sent", 1)
    assert body["message"] == "Certified SMS sent successfully"
    return str(body["uuid"])


def sms(lm: Api, uuid: str, key: str = "uuid") -> dict[str, Any]:
    response = lm.get("/api/sms", params={key: uuid})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_delivered_then_time_stamped(sandbox: SandboxServer, lm: Api) -> None:
    uuid = send_sms(lm)
    data = sms(lm, uuid)
    assert (data["status"], data["delivered_at"], data["recipient"], data["credits"]) == (
        "sent",
        None,
        "+34600000000",
        1,
    )
    lm_error(lm.get(data["download_certificate_url"]), 404)
    sandbox.advance(5)
    data = sms(lm, uuid, key="id")
    assert data["status"] == "delivered" and data["delivered_at"] and data["ts_confirmed_at"] is None
    sandbox.advance(5)
    data = sms(lm, uuid)
    assert data["ts_confirmed_at"] and data["failed_at"] is None
    certificate = lm.get(data["download_certificate_url"])
    assert certificate.headers["content-type"] == "application/pdf" and certificate.content.startswith(b"%PDF-")


def test_numbers_ending_in_999_fail(sandbox: SandboxServer, lm: Api) -> None:
    uuid = send_sms(lm, phone="+34600000999")
    sandbox.advance(5)
    data = sms(lm, uuid)
    assert (data["status"], data["delivered_at"]) == ("failed", None)
    assert data["failed_at"]


def test_aliases_recipient_and_text(lm: Api) -> None:
    response = lm.post("/api/sms/send", json={"recipient": "+34600000000", "text": "Hola"})
    assert response.status_code == 200
    assert sms(lm, response.json()["uuid"])["message"] == "Hola"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": "x"}, "phone"),
        ({"phone": "600000000", "message": "x"}, "phone"),
        ({"phone": "+34 600", "message": "x"}, "phone"),
        ({"phone": "+1234567890123456", "message": "x"}, "phone"),
        ({"phone": "+34600000000"}, "message"),
        ({"phone": "+34600000000", "message": ""}, "message"),
        ({"phone": "+34600000000", "message": "x" * 301}, "message"),
    ],
)
def test_invalid_sms_is_400(lm: Api, body: dict[str, Any], field: str) -> None:
    assert lm_error(lm.post("/api/sms/send", json=body), 400).startswith(field)


def test_300_characters_is_fine(lm: Api) -> None:
    send_sms(lm, message="x" * 300)


def test_sms_credits_are_separate(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.set_credits(emails=0, sms=1)
    send_sms(lm)
    message = lm_error(lm.post("/api/sms/send", json={"phone": "+34600000000", "message": "x"}), 403)
    assert "insufficient credits" in message.lower()
    sandbox.set_credits(emails=5, sms=0)
    assert lm.post("/api/send", json={"recipient": "a@x.com", "subject": "s", "message": "m"}).status_code == 200


def test_unknown_sms(lm: Api) -> None:
    lm_error(lm.get("/api/sms", params={"uuid": "nope"}), 404)
    assert lm_error(lm.get("/api/sms"), 400).startswith("uuid")
