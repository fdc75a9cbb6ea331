"""LegallyMailHook at the HTTP boundary: method, path, query, headers and JSON keys as the API docs show,
and the documented example responses parsed into typed results."""

from __future__ import annotations

import base64
from typing import Any

import pendulum
import pytest
import requests_mock as rm

from airflow_provider_legallymail import __version__
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.statuses import EmailStatus, SignatureStatus, SmsStatus
from tests import api_examples as ex
from tests.conftest import LM_URL, TOKEN

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def hook(lm_conn: str) -> LegallyMailHook:
    return LegallyMailHook()


def last(m: rm.Mocker) -> Any:
    return m.request_history[-1]


def test_every_request_carries_bearer_token_user_agent_and_timeout(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.get(f"{LM_URL}/api/info", json=ex.LM_INFO)
        hook.get_account_info()
    sent = last(m)
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["User-Agent"].startswith(f"airflow-provider-legallymail/{__version__}")
    assert sent.timeout == (10.0, 30.0)


def test_get_account_info_parses_plan_and_remaining_emails(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.get(f"{LM_URL}/api/info", json=ex.LM_INFO)
        info = hook.get_account_info()
    assert info.name == "LegallyMail API"
    assert info.user.email == "usuario@example.com"
    assert info.user.plan == "professional"
    assert info.user.remaining_emails == 75
    assert info.raw == ex.LM_INFO


def test_send_email_posts_documented_fields(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/send", json=ex.LM_SEND_MULTI)
        result = hook.send_email(
            ["recipient1@example.com", "recipient2@example.com"],
            "Test Email",
            "<p>Hi</p>",
            reply_to="legal@example.com",
            reply_to_name="Legal",
            attachments=[{"content": b"hello", "filename": "note.txt"}],
        )
    body = last(m).json()
    assert last(m).method == "POST"
    assert set(body) == {"recipient", "subject", "message", "reply_to", "reply_to_name", "attachments"}
    assert body["recipient"] == "recipient1@example.com, recipient2@example.com"
    assert body["message"] == "<p>Hi</p>"
    assert body["attachments"] == [
        {"filename": "note.txt", "content": base64.b64encode(b"hello").decode(), "mime_type": "text/plain"}
    ]
    assert result.tracking_id == "cm_parent_abc123"
    assert result.is_multi_recipient
    assert [(r.email, r.tracking_id, r.status) for r in result.recipients] == [
        ("recipient1@example.com", "cm_rec1_xyz", EmailStatus.SENT),
        ("recipient2@example.com", "cm_rec2_abc", EmailStatus.SENT),
    ]
    assert (result.success_count, result.fail_count) == (2, 0)


def test_send_email_accepts_comma_separated_string_and_omits_optional_fields(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/send", json=ex.LM_SEND_SINGLE)
        result = hook.send_email("example@example.com", "Test Email", "<p>x</p>")
    assert last(m).json() == {"recipient": "example@example.com", "subject": "Test Email", "message": "<p>x</p>"}
    assert result.tracking_id == "cm_xxx"
    assert [r.tracking_id for r in result.recipients] == ["cm_xxx"]
    assert result.sent_at == pendulum.datetime(2024, 1, 1, 12, tz="Europe/Madrid")


def test_list_emails_sends_limit_and_parses_statuses(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.get(f"{LM_URL}/api/emails", json=ex.LM_EMAILS)
        emails = hook.list_emails(limit=10)
    assert last(m).qs == {"limit": ["10"]}
    assert [e.tracking_id for e in emails] == ["cm_abc123", "cm_def456"]
    assert emails[0].status is EmailStatus.READ and emails[0].status.is_terminal
    assert emails[1].is_multi_recipient and emails[1].recipient_count == 5
    assert emails[1].error_status == "Soft Bounce"
    assert emails[0].read_at == pendulum.datetime(2024, 1, 15, 11, tz="Europe/Madrid")


def test_get_email_parses_recipients_and_certificates(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.get(f"{LM_URL}/api/email", json=ex.LM_EMAIL)
        email = hook.get_email("cm_abc123")
    assert last(m).qs == {"tracking_id": ["cm_abc123"]}
    assert email.status is EmailStatus.PENDING
    first, second = email.recipients
    assert first.status is EmailStatus.READ and second.status is EmailStatus.DELIVERED
    assert second.error_details == "Recipient inbox full"
    cert = first.certificates[0]
    assert cert.certificate_type == "read"
    assert cert.file_hash == "sha256_hash_read_1"
    assert cert.has_tsr and cert.has_tsq
    assert cert.pdf_download_url == f"{LM_URL}/emails/download-certificate?id=cm_rec1_xyz&status=read"
    assert [c.certificate_type for c in email.all_certificates()] == ["read", "delivered"]


def test_request_signature_single_signer_uses_documented_signer_fields(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/signature/send", json=ex.LM_SIGNATURE_SEND)
        result = hook.request_signature(
            PDF, "Contract.pdf", [{"name": "John Doe", "email": "john.doe@example.com", "phone": "+34 600 000 000"}]
        )
    body = last(m).json()
    assert body == {
        "document": base64.b64encode(PDF).decode(),
        "document_name": "Contract.pdf",
        "language": "es",
        "signer_name": "John Doe",
        "signer_email": "john.doe@example.com",
        "signer_phone": "+34600000000",
    }
    assert result.uuid == "550e8400-e29b-41d4-a716-446655440000"
    assert result.status is SignatureStatus.PENDING


def test_request_signature_several_signers_use_signers_array(hook: LegallyMailHook, tmp_path: Any) -> None:
    doc = tmp_path / "Contract.pdf"
    doc.write_bytes(PDF)
    signers = [{"name": f"S{i}", "email": f"s{i}@example.com"} for i in range(3)]
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/signature/send", json=ex.LM_SIGNATURE_SEND)
        hook.request_signature(str(doc), None, signers, language="en")
    body = last(m).json()
    assert body["signers"] == signers
    assert body["document_name"] == "Contract.pdf"
    assert body["language"] == "en"
    assert "signer_name" not in body


def test_list_and_get_signature(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.get(f"{LM_URL}/api/signatures", json=ex.LM_SIGNATURES)
        m.get(f"{LM_URL}/api/signature", json=ex.LM_SIGNATURE)
        listed = hook.list_signatures(limit=5)
        assert last(m).qs == {"limit": ["5"]}
        detail = hook.get_signature("550e8400-e29b-41d4-a716-446655440000")
    assert last(m).qs == {"uuid": ["550e8400-e29b-41d4-a716-446655440000"]}
    assert listed[0].status is SignatureStatus.SIGNED and listed[0].status.is_success
    assert detail.expires_at == pendulum.datetime(2024, 1, 22, 10, 30, tz="Europe/Madrid")
    assert detail.signers[0].signer_phone == "+34600000000"
    assert detail.download_acta_url is not None and "download-acta" in detail.download_acta_url


def test_send_and_get_sms(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/sms/send", json=ex.LM_SMS_SEND)
        m.get(f"{LM_URL}/api/sms", json=ex.LM_SMS)
        sent = hook.send_sms("+34600000000", "Contenido del SMS")
        assert last(m).json() == {"phone": "+34600000000", "message": "Contenido del SMS"}
        sms = hook.get_sms("abc")
    assert last(m).qs == {"uuid": ["abc"]}
    assert sent.status is SmsStatus.SENT and sent.credits_deducted == 1
    assert sms.status is SmsStatus.DELIVERED and sms.status.is_terminal
    assert sms.ts_confirmed_at == pendulum.datetime(2024, 1, 15, 10, 30, 10, tz="Europe/Madrid")


def test_download_returns_bytes_with_token_on_own_host(hook: LegallyMailHook) -> None:
    url = f"{LM_URL}/emails/download-certificate?id=cm_rec1_xyz&status=read"
    with rm.Mocker() as m:
        m.get(url, content=PDF)
        assert hook.download(url) == PDF
    assert last(m).headers["Authorization"] == f"Bearer {TOKEN}"


def test_success_false_in_a_200_is_an_error(hook: LegallyMailHook) -> None:
    from airflow_provider_legallymail.exceptions import MailApiError

    with rm.Mocker() as m:
        m.get(f"{LM_URL}/api/info", json={"success": False, "message": "account suspended"})
        with pytest.raises(MailApiError, match="account suspended"):
            hook.get_account_info()


def test_credentials_in_body_mode_moves_the_token_out_of_headers(monkeypatch: pytest.MonkeyPatch, sleeps: Any) -> None:
    from tests.conftest import conn_json

    monkeypatch.setenv(
        "AIRFLOW_CONN_LM_BODY", conn_json("legallymail", LM_URL, credentials_in_body=True, requests_per_minute=0)
    )
    hook = LegallyMailHook(legallymail_conn_id="lm_body")
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/sms/send", json=ex.LM_SMS_SEND)
        m.get(f"{LM_URL}/api/info", json=ex.LM_INFO)
        hook.send_sms("+34600000000", "hi")
        hook.get_account_info()
    for request in m.request_history:
        assert "Authorization" not in request.headers
        assert request.json()["token"] == TOKEN
    assert m.request_history[0].json() == {"phone": "+34600000000", "message": "hi", "token": TOKEN}


def test_test_connection_reports_account_or_error(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.get(f"{LM_URL}/api/info", json=ex.LM_INFO)
        ok, message = hook.test_connection()
        assert ok and "usuario@example.com" in message and "75" in message
        m.get(f"{LM_URL}/api/info", status_code=401, json={"success": False, "message": "Invalid token"})
        ok, message = hook.test_connection()
    assert not ok and "401" in message and "Invalid token" in message
    assert all(r.method == "GET" for r in m.request_history)
