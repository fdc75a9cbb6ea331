"""The ``tamper`` fault: a download answered 200 with one byte changed, so its SHA-256 no longer matches."""

from __future__ import annotations

import hashlib

import pytest

from legallymail_sandbox.faults import FaultSpecError, parse_fault
from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, get_email, send_email


def test_tampered_certificate_has_the_same_length_and_another_hash_then_recovers(
    sandbox: SandboxServer, lm: Api
) -> None:
    data = send_email(lm, "ana@example.com")
    sandbox.advance(10)
    certificate = get_email(lm, data["tracking_id"])["certificates"][0]
    sandbox.fault("legallymail", "GET", "/emails/download-certificate", tamper=True, count=1)

    bad = lm.get(certificate["pdf_download_url"])
    good = lm.get(certificate["pdf_download_url"])

    assert bad.status_code == 200
    assert len(bad.content) == len(good.content)
    assert hashlib.sha256(bad.content).hexdigest() != certificate["file_hash"]
    assert hashlib.sha256(good.content).hexdigest() == certificate["file_hash"]


def test_tamper_leaves_api_answers_parseable_on_other_paths(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.fault("legallymail", "GET", "/dashboard/*", tamper=True)
    assert lm.get("/api/info").json()["user"]["remaining_emails"] == 100


def test_tamper_excludes_status_and_drop_response() -> None:
    with pytest.raises(FaultSpecError, match="exclude each other"):
        parse_fault(1, {"api": "legallymail", "path": "/x", "tamper": True, "status": 500})
    with pytest.raises(FaultSpecError, match="exclude each other"):
        parse_fault(1, {"api": "legallymail", "path": "/x", "tamper": True, "drop_response": True})
    assert parse_fault(1, {"api": "legallymail", "path": "/x", "tamper": True}).tamper is True
