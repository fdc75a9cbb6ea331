"""Signature requests: validation, signing over time, decline, expiry, control actions, documents and hashes."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from airflow_provider_legallymail import limits
from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, b64, get_signature, lm_error, request_signature, sample_pdf

WEEK = 7 * 24 * 3600


def test_send_answer_and_detail(lm: Api) -> None:
    data = request_signature(lm, signer_phone="+34600000000", language="en")
    assert set(data) == {"uuid", "signer_name", "signer_email", "document_name", "status", "created_at"}
    assert (data["signer_name"], data["status"], data["document_name"]) == ("John Doe", "pending", "Contract.pdf")
    detail = get_signature(lm, data["uuid"])
    assert detail["document_hash"] == hashlib.sha256(sample_pdf()).hexdigest()
    assert detail["signed_document_hash"] is None and detail["signed_at"] is None
    assert detail["signers"] == [
        {
            "signer_name": "John Doe",
            "signer_email": "john.doe@example.com",
            "signer_phone": "+34600000000",
            "status": "pending",
            "signed_at": None,
        }
    ]
    assert detail["expires_at"] > detail["created_at"]


def test_signed_after_a_minute_with_downloadable_documents(sandbox: SandboxServer, lm: Api) -> None:
    uuid = request_signature(lm)["uuid"]
    detail = get_signature(lm, uuid)
    lm_error(lm.get(detail["download_acta_url"]), 404)
    sandbox.advance(59)
    assert get_signature(lm, uuid)["status"] == "pending"
    sandbox.advance(1)
    detail = get_signature(lm, uuid)
    assert detail["status"] == "signed" and detail["signed_at"] == detail["signers"][0]["signed_at"]
    original = lm.get(detail["download_original_url"])
    assert original.headers["content-type"] == "application/pdf"
    assert original.content == sample_pdf()
    acta = lm.get(detail["download_acta_url"])
    assert acta.content.startswith(b"%PDF-")
    assert hashlib.sha256(acta.content).hexdigest() == detail["signed_document_hash"]
    assert uuid.encode() in acta.content


def test_signers_list_and_status_rules(sandbox: SandboxServer, lm: Api) -> None:
    signers = [
        {"name": "One", "email": "one@example.com"},
        {"name": "Two", "email": "two+nosign@example.com", "phone": "+34600000001"},
    ]
    data = request_signature(lm, signer_name=None, signer_email=None, signers=signers)
    assert (data["signer_name"], data["signer_email"]) == ("One", "one@example.com")
    sandbox.advance(120)
    detail = get_signature(lm, data["uuid"])
    assert detail["status"] == "pending"
    assert [s["status"] for s in detail["signers"]] == ["signed", "pending"]
    assert sandbox.sign(data["uuid"], "two+nosign@example.com") == "signed"
    detail = get_signature(lm, data["uuid"])
    assert detail["status"] == "signed"
    assert detail["signed_at"] == detail["signers"][1]["signed_at"]


def test_decline_tag_declines(sandbox: SandboxServer, lm: Api) -> None:
    uuid = request_signature(lm, signer_email="jo+decline@example.com")["uuid"]
    sandbox.advance(60)
    detail = get_signature(lm, uuid)
    assert detail["status"] == "declined" and detail["signed_document_hash"] is None
    lm_error(lm.get(detail["download_acta_url"]), 404)


def test_nosign_expires_after_a_week(sandbox: SandboxServer, lm: Api) -> None:
    uuid = request_signature(lm, signer_email="jo+nosign@example.com")["uuid"]
    sandbox.advance(WEEK - 1)
    assert get_signature(lm, uuid)["status"] == "pending"
    sandbox.advance(1)
    detail = get_signature(lm, uuid)
    assert detail["status"] == "expired"
    assert detail["signers"][0]["status"] == "expired"
    with pytest.raises(RuntimeError, match="already expired"):
        sandbox.sign(uuid)


def test_control_decline_beats_the_natural_signing(sandbox: SandboxServer, lm: Api) -> None:
    uuid = request_signature(lm)["uuid"]
    assert sandbox.decline(uuid) == "declined"
    sandbox.advance(120)
    assert get_signature(lm, uuid)["status"] == "declined"


def test_control_sign_now(sandbox: SandboxServer, lm: Api) -> None:
    uuid = request_signature(lm, signer_email="jo+nosign@example.com")["uuid"]
    assert sandbox.sign(uuid) == "signed"
    assert get_signature(lm, uuid)["status"] == "signed"


def test_signatures_cost_no_credits(lm: Api) -> None:
    before = lm.get("/api/info").json()["user"]
    request_signature(lm)
    assert lm.get("/api/info").json()["user"] == before


def _body(**fields: Any) -> dict[str, Any]:
    body = {
        "signer_name": "John Doe",
        "signer_email": "john@example.com",
        "document": b64(sample_pdf()),
        "document_name": "Contract.pdf",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_body(signer_name=None), "signer_name"),
        (_body(signer_email="nope"), "signer_email"),
        (_body(signer_phone="600"), "signer_phone"),
        (_body(document=None), "document"),
        (_body(document="!!!"), "document"),
        (_body(document=b64(b"hello, not a pdf")), "document"),
        (_body(document_name=None), "document_name"),
        (_body(language="de"), "language"),
        (_body(signers=[]), "signers"),
        (_body(signers=[{"name": f"S{i}", "email": f"s{i}@example.com"} for i in range(6)]), "signers"),
        (_body(signers=[{"name": "A", "email": "a@example.com"}, {"name": "B"}]), "signers[1].email"),
    ],
)
def test_invalid_signature_requests_are_400_naming_the_field(lm: Api, body: dict[str, Any], field: str) -> None:
    assert lm_error(lm.post("/api/signature/send", json=body), 400).startswith(field)


def test_document_size_limit(lm: Api) -> None:
    too_big = b"%PDF-1.4\n" + b"0" * (limits.PDF_MAX_BYTES - 8)
    assert lm_error(lm.post("/api/signature/send", json=_body(document=b64(too_big))), 400).startswith("document")
    just_fits = too_big[:-1]
    assert lm.post("/api/signature/send", json=_body(document=b64(just_fits))).status_code == 200


def test_five_signers_accepted(lm: Api) -> None:
    signers = [{"name": f"S{i}", "email": f"s{i}@example.com"} for i in range(5)]
    assert lm.post("/api/signature/send", json=_body(signers=signers)).status_code == 200


def test_unknown_signature(lm: Api) -> None:
    lm_error(lm.get("/api/signature", params={"uuid": "nope"}), 404)
    lm_error(lm.get("/dashboard/electronic-signature/download-original/nope"), 404)
