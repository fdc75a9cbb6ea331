"""Certificates and their PDFs: per recipient and stage (read only, or delivered and read), real bytes whose
SHA-256 is the file_hash."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, get_email, lm_api, lm_error, send_email


def test_certificate_hashes_match_the_downloaded_pdfs(sandbox: SandboxServer, lm: Api) -> None:
    data = send_email(lm, "a@example.com, b+noread@example.com")
    sandbox.advance(60)
    email = get_email(lm, data["tracking_id"])
    seen = []
    for recipient in email["recipients"]:
        for certificate in recipient["certificates"]:
            assert certificate["has_tsr"] is True and certificate["has_tsq"] is True
            response = lm.get(certificate["pdf_download_url"])
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/pdf"
            assert response.content.startswith(b"%PDF-")
            assert hashlib.sha256(response.content).hexdigest() == certificate["file_hash"]
            assert recipient["tracking_id"].encode() in response.content
            seen.append((recipient["status"], certificate["certificate_type"]))
    assert seen == [("read", "read"), ("delivered", "delivered")]


def test_a_read_recipient_lists_only_its_read_certificate_as_documented(sandbox: SandboxServer, lm: Api) -> None:
    data = send_email(lm, "a@example.com, b@example.com")
    sandbox.advance(10)
    delivered = get_email(lm, data["tracking_id"])["recipients"][0]["certificates"]
    assert [c["certificate_type"] for c in delivered] == ["delivered"]
    sandbox.advance(30)
    for recipient in get_email(lm, data["tracking_id"])["recipients"]:
        (certificate,) = recipient["certificates"]
        assert (certificate["certificate_type"], certificate["confirmed_at"]) == ("read", recipient["read_at"])
    # The delivered certificate is no longer listed, but its URL still serves the same PDF.
    again = lm.get(delivered[0]["pdf_download_url"])
    assert hashlib.sha256(again.content).hexdigest() == delivered[0]["file_hash"]


def test_delivered_and_read_mode_lists_both_certificates() -> None:
    config = SandboxConfig(speed=0.0, rate_limit=0, read_certificates="delivered_and_read")
    with SandboxServer(config) as server:
        lm = lm_api(server)
        data = send_email(lm, "a@example.com, b+noread@example.com")
        server.advance(60)
        email = get_email(lm, data["tracking_id"])
        listed = [[c["certificate_type"] for c in r["certificates"]] for r in email["recipients"]]
        assert listed == [["delivered", "read"], ["delivered"]]
        single = get_email(lm, data["recipients"][0]["tracking_id"])
        assert [c["certificate_type"] for c in single["certificates"]] == ["delivered", "read"]


def test_certificate_urls_use_the_documented_shape_on_this_server(sandbox: SandboxServer, lm: Api) -> None:
    tracking_id = send_email(lm, "ana@example.com")["tracking_id"]
    sandbox.advance(30)
    certificates = get_email(lm, tracking_id)["certificates"]
    for certificate in certificates:
        parts = urlsplit(certificate["pdf_download_url"])
        assert f"{parts.scheme}://{parts.netloc}" == sandbox.url
        assert parts.path == "/legallymail/emails/download-certificate"
        assert parse_qs(parts.query) == {"id": [tracking_id], "status": [certificate["certificate_type"]]}
        assert certificate["confirmed_at"]


def test_hash_is_stable_across_reads(sandbox: SandboxServer, lm: Api) -> None:
    tracking_id = send_email(lm, "ana@example.com")["tracking_id"]
    sandbox.advance(30)
    first = get_email(lm, tracking_id)["certificates"][0]["file_hash"]
    sandbox.advance(100)
    assert get_email(lm, tracking_id)["certificates"][0]["file_hash"] == first


def test_certificate_of_a_stage_not_reached_is_404(sandbox: SandboxServer, lm: Api) -> None:
    tracking_id = send_email(lm, "ana@example.com")["tracking_id"]
    url = f"/emails/download-certificate?id={tracking_id}&status=read"
    lm_error(lm.get(url), 404)
    sandbox.advance(30)
    assert lm.get(url).status_code == 200
    lm_error(lm.get("/emails/download-certificate?id=cm_unknown&status=read"), 404)
