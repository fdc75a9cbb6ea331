"""Contract: each documented example request is accepted, and each answer has the documented fields and
JSON types (the examples of ../shared/API.md, kept verbatim in tests/api_examples.py)."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_legallymail.sandbox.server import SandboxServer
from tests import api_examples as ex
from tests.sandbox.contract import assert_conforms, conforms
from tests.sandbox.support import Api, b64, sample_pdf

PDF = b64(sample_pdf())
ATTACHMENT = {"filename": "document.pdf", "content": PDF, "mime_type": "application/pdf"}  # docs: a placeholder


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def test_checker_catches_missing_keys_and_wrong_types() -> None:
    assert conforms({"a": 1}, [{"a": 1, "b": "x"}]) == ["$.b: missing"]
    assert conforms({"a": "1"}, [{"a": 1}]) == ["$.a: string, documented as integer"]
    assert conforms({"a": None}, [{"a": 1}]) == ["$.a: null, documented as integer"]
    assert conforms([{"a": None}], [[{"a": 1}, {"a": None}]]) == []
    assert conforms([], [[{"a": 1}]]) == ["$: empty, documented with items"]


def test_send_examples(lm: Api) -> None:
    single = {
        "recipient": "example@example.com",
        "subject": "Test Email",
        "message": "<p>Hi</p>",
        "reply_to": "sender@example.com",
        "reply_to_name": "Sender",
    }
    assert_conforms(ok(lm.post("/api/send", json=single)), ex.LM_SEND_SINGLE)
    multi = {
        "recipient": "recipient1@example.com, recipient2@example.com, recipient3@example.com",
        "subject": "Test Email with Multiple Recipients",
        "message": "<h1>Hello World</h1><p>This email is sent to multiple recipients.</p>",
        "attachments": [ATTACHMENT],
    }
    assert_conforms(ok(lm.post("/api/send", json=multi)), ex.LM_SEND_MULTI)


def test_info_example(lm: Api) -> None:
    assert_conforms(ok(lm.get("/api/info")), ex.LM_INFO)


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


@pytest.mark.parametrize(
    "body",
    [
        {
            "signer_name": "John Doe",
            "signer_email": "john.doe@example.com",
            "document_name": "Contract.pdf",
            "language": "es",
        },
        {
            "signers": [
                {"name": "Firmante 1", "email": "firmante1@example.com"},
                {"name": "Firmante 2", "email": "firmante2@example.com", "phone": "+34600000000"},
            ],
            "document_name": "Contract.pdf",
            "language": "es",
        },
    ],
)
def test_signature_send_examples(lm: Api, body: dict[str, Any]) -> None:
    assert_conforms(ok(lm.post("/api/signature/send", json={**body, "document": PDF})), ex.LM_SIGNATURE_SEND)


def test_signature_list_and_detail_examples(sandbox: SandboxServer, lm: Api) -> None:
    body = {
        "signer_name": "John Doe",
        "signer_email": "john.doe@example.com",
        "signer_phone": "+34600000000",
        "document": PDF,
        "document_name": "Contract.pdf",
    }
    uuid = ok(lm.post("/api/signature/send", json=body))["data"]["uuid"]
    sandbox.advance(60)
    assert_conforms(ok(lm.get("/api/signatures?limit=10")), ex.LM_SIGNATURES)
    assert_conforms(ok(lm.get(f"/api/signature?uuid={uuid}")), ex.LM_SIGNATURE)


def test_sms_examples(sandbox: SandboxServer, lm: Api) -> None:
    sent = ok(lm.post("/api/sms/send", json={"phone": "+34600000000", "message": "Contenido del SMS"}))
    assert_conforms(sent, ex.LM_SMS_SEND)
    sandbox.advance(10)
    assert_conforms(ok(lm.get("/api/sms", params={"uuid": sent["uuid"]})), ex.LM_SMS)


def test_legitmailer_send_examples(lt: Api) -> None:
    plain = {
        "validate": "true",
        "fromAddress": "info@legitmailer.com",
        "toAddress": "contact@legitmailer.com",
        "subject": "hello",
        "body": "FYI",
        "contentType": "text/plain",
    }
    assert_conforms(ok(lt.post("/api/email", json=plain)), ex.LT_TRACKING)
    template = {
        "validate": "false",
        "template": "registration",
        "email": "contact@legitmailer.com",
        "tokenMap": {"username": "legitmailer"},
    }
    assert_conforms(ok(lt.post("/api/email/template", json=template)), ex.LT_TRACKING)
    batch = {
        "validate": "true",
        "template": "registration",
        "emailList": [{"email": "contact@legitmailer.com", "tokenMap": {"username": "legitmailer"}}],
    }
    assert_conforms(ok(lt.post("/api/batch/email/template", json=batch)), {"trackingIds": ["tr-1"]})
    assert_conforms(ok(lt.post("/api/email/delayed", json={**plain, "delay": 300})), ex.LT_REQUEST)
    assert_conforms(ok(lt.post("/api/email/template/delayed", json={**template, "delay": 300})), ex.LT_REQUEST)


def test_legitmailer_template_and_contact_examples(lt: Api) -> None:
    listing = ok(lt.get("/api/template/list"))
    assert_conforms(listing, ex.LT_TEMPLATES)
    registration = next(t["templateId"] for t in listing["templates"] if t["name"] == "registration")
    assert_conforms(ok(lt.get(f"/api/template/{registration}")), ex.LT_TEMPLATE)
    lists = ok(lt.get("/api/contactlist"))
    assert_conforms(lists, ex.LT_CONTACT_LISTS)
    customers = next(c["contactListId"] for c in lists["contactLists"] if c["name"] == "customers")
    path = f"/api/contactlist/{customers}/contact/43223"
    assert_conforms(
        ok(lt.post(path, json={"email": "contact@legitmailer.com", "data": [{"name": "contact"}]})), ex.LT_CONTACT
    )
    assert_conforms(ok(lt.get(path)), ex.LT_CONTACT)
    assert_conforms(ok(lt.put(path, json={"email": "info@legitmailer.com", "data": [{"name": "info"}]})), ex.LT_CONTACT)
    assert lt.delete(path).status_code == 204
