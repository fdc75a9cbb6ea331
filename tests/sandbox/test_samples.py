"""``GET /_sandbox/samples``: everything needed to call the APIs without guessing, and the sample PDF."""

from __future__ import annotations

import base64
import hashlib

import requests

from legallymail_sandbox.legallymail.sending import OUTCOME_TAGS
from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api


def test_every_seeded_template_can_be_sent_with_the_tokens_listed(sandbox: SandboxServer, lt: Api) -> None:
    templates = sandbox.samples()["legitmailer"]["templates"]
    assert {t["name"]: t["tokens"] for t in templates} == {
        "welcome": ["name"],
        "registration": ["username"],
        "contract-reminder": ["contract", "name", "due_date"],
    }
    for template in templates:
        assert lt.get(f"/api/template/{template['templateId']}").json()["tokens"] == template["tokens"]
        token_map = {token: f"<{token}>" for token in template["tokens"]}
        body = {"template": template["name"], "email": "ana@example.com", "tokenMap": token_map}
        assert lt.post("/api/email/template", json=body).status_code == 200
    assert all("${" not in s["body"] for s in sandbox.legitmailer_sent())


def test_every_seeded_contact_list_takes_a_contact_with_the_columns_listed(sandbox: SandboxServer, lt: Api) -> None:
    lists = sandbox.samples()["legitmailer"]["contact_lists"]
    documented = {c["name"]: c["contactListId"] for c in lt.get("/api/contactlist").json()["contactLists"]}
    assert {c["name"]: c["contactListId"] for c in lists} == documented
    assert {c["name"]: c["columns"] for c in lists}["first"] == ["name"]
    for contact_list in lists:
        data = [{column: "x"} for column in contact_list["columns"]]
        path = f"/api/contactlist/{contact_list['contactListId']}/contact/c-1"
        assert lt.post(path, json={"email": "ana@example.com", "data": data}).status_code == 200
        assert lt.get(path).json()["data"] == data


def test_the_sample_pdf_downloads_and_can_be_signed(sandbox: SandboxServer, lm: Api) -> None:
    pdf = sandbox.samples()["sample_pdf"]
    response = requests.get(pdf["url"], timeout=10)  # the control API needs no token
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and response.content == sandbox.sample_pdf()
    assert (len(response.content), hashlib.sha256(response.content).hexdigest()) == (pdf["size"], pdf["sha256"])
    assert base64.b64decode(pdf["base64"]) == response.content
    body = {"signer_name": "Ana", "signer_email": "ana@example.com", "document": pdf["base64"]}
    signed = lm.post("/api/signature/send", json={**body, "document_name": pdf["document_name"]})
    assert signed.status_code == 200, signed.text
    detail = lm.get("/api/signature", params={"uuid": signed.json()["data"]["uuid"]}).json()["data"]
    assert detail["document_hash"] == pdf["sha256"]


def test_samples_name_every_outcome_tag_and_the_timeline(sandbox: SandboxServer) -> None:
    samples = sandbox.samples()
    recipient_tags = {t["tag"] for t in samples["outcome_tags"] if t["where"] == "email recipient"}
    assert recipient_tags == {f"+{tag}" for tag in OUTCOME_TAGS}
    assert samples["timeline_seconds"]["read_after"] == sandbox.config.read_after
    assert samples["read_certificates"] == "read_only"
    assert sandbox.received() == []  # samples are control requests: not logged, not rate limited
