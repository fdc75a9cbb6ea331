"""What is archived for an email, a signature request and an SMS, from the API's documented answers."""

from __future__ import annotations

import copy

from airflow_provider_legallymail.evidence.collect import collect_email, collect_signature, collect_sms, public_url
from airflow_provider_legallymail.models.legallymail import Email, SignatureRequest, Sms
from tests import api_examples as ex

TZ = "Europe/Madrid"


def test_documented_group_email_archives_each_listed_certificate_and_per_recipient_statuses() -> None:
    item = collect_email(Email.from_api(ex.LM_EMAIL["email"], TZ))
    assert [(f.name, f.stage, f.party, f.expected_sha256) for f in item.files] == [
        ("certificate-cm_rec1_xyz-read.pdf", "read", "recipient1@example.com", "sha256_hash_read_1"),
        ("certificate-cm_rec2_abc-delivered.pdf", "delivered", "recipient2@example.com", "sha256_hash_del_2"),
    ]
    assert item.status == "pending"  # the group status, recorded as the API gives it
    assert item.statuses() == {"recipient1@example.com": "read", "recipient2@example.com": "delivered"}
    assert item.facts["recipients"][1]["error_details"] == "Recipient inbox full"


def test_a_read_recipient_listing_delivered_and_read_certificates_archives_both() -> None:
    data = copy.deepcopy(ex.LM_EMAIL["email"])
    read = data["recipients"][0]["certificates"][0]
    delivered = {
        **read,
        "certificate_type": "delivered",
        "pdf_download_url": read["pdf_download_url"][:-4] + "delivered",
    }
    data["recipients"][0]["certificates"].insert(0, delivered)
    names = [f.name for f in collect_email(Email.from_api(data, TZ)).files]
    assert names[:2] == ["certificate-cm_rec1_xyz-delivered.pdf", "certificate-cm_rec1_xyz-read.pdf"]


def test_a_certificate_listed_twice_is_archived_once() -> None:
    data = copy.deepcopy(ex.LM_EMAIL["email"])
    data["recipients"][0]["certificates"].append(dict(data["recipients"][0]["certificates"][0]))
    assert len(collect_email(Email.from_api(data, TZ)).files) == 2


def test_signed_request_archives_original_and_acta_with_their_hash_fields() -> None:
    data = {**ex.LM_SIGNATURE["data"], "document_hash": "AB" * 32, "signed_document_hash": "sha256:" + "cd" * 32}
    item = collect_signature(SignatureRequest.from_api(data, TZ))
    assert [(f.name, f.hash_field, f.expected_sha256) for f in item.files] == [
        ("original.pdf", "document_hash", "ab" * 32),
        ("acta.pdf", "signed_document_hash", "cd" * 32),
    ]
    assert item.statuses() == {"john.doe@example.com": "signed"}


def test_pending_request_has_no_acta_yet() -> None:
    data = {**ex.LM_SIGNATURE["data"], "status": "pending", "signed_at": None}
    assert [f.name for f in collect_signature(SignatureRequest.from_api(data, TZ)).files] == ["original.pdf"]


def test_sms_certificate_has_no_published_hash_and_only_once_delivered() -> None:
    item = collect_sms(Sms.from_api(ex.LM_SMS["data"], TZ))
    assert [(f.name, f.expected_sha256, f.party) for f in item.files] == [("sms-certificate.pdf", None, "+34600000000")]
    sent = collect_sms(Sms.from_api({**ex.LM_SMS["data"], "status": "sent"}, TZ))
    assert sent.files == []


def test_source_urls_never_keep_a_token() -> None:
    url = "https://legallymail.com/emails/download-certificate?id=cm_1&status=read&token=tok-123"
    assert public_url(url, "tok-123") == "https://legallymail.com/emails/download-certificate?id=cm_1&status=read"
    assert public_url("https://x.com/tok-123/c.pdf", "tok-123") == "https://x.com/***/c.pdf"
    plain = "https://legallymail.com/emails/download-certificate?id=cm_1&status=read"
    assert public_url(plain, "tok-123") == plain
