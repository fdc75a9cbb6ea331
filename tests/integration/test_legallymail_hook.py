"""Every ``LegallyMailHook`` method against the sandbox over real HTTP."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.statuses import EmailStatus, SignatureStatus, SmsStatus
from legallymail_sandbox.middleware import token_digest
from legallymail_sandbox.pdf import render_pdf
from legallymail_sandbox.server import SandboxServer
from tests.integration.conftest import Connect

CONTRACT = render_pdf("Contract", ["Between the parties"])


def test_test_connection_and_account_info(lm_hook: LegallyMailHook) -> None:
    assert lm_hook.test_connection() == (
        True,
        "Connected as sandbox@example.com (plan professional, 100 emails remaining)",
    )
    info = lm_hook.get_account_info()
    assert (info.name, info.user.plan, info.user.plan_limit, info.user.remaining_emails) == (
        "LegallyMail API",
        "professional",
        100,
        100,
    )


def test_single_email_reaches_read_with_verified_certificates(sandbox: SandboxServer, lm_hook: LegallyMailHook) -> None:
    result = lm_hook.send_email(
        "ana@example.com", "Contract", "<p>Hello</p>", reply_to="me@example.com", reply_to_name="Me"
    )
    assert not result.is_multi_recipient and result.success_count == 1
    assert result.recipients[0].status == EmailStatus.SENT
    assert lm_hook.get_email(result.tracking_id).status == EmailStatus.SENT
    sandbox.advance(30)
    email = lm_hook.get_email(result.tracking_id)
    assert email.status == EmailStatus.READ and email.read_at is not None and email.delivered_at is not None
    assert str(email.read_at.timezone_name) == "Europe/Madrid"
    assert [c.certificate_type for c in email.all_certificates()] == ["read"]
    for certificate in email.all_certificates():
        assert certificate.pdf_download_url is not None
        pdf = lm_hook.download(certificate.pdf_download_url)
        assert pdf.startswith(b"%PDF-")
        assert hashlib.sha256(pdf).hexdigest() == certificate.file_hash
    assert lm_hook.get_account_info().user.remaining_emails == 99


def test_multi_recipient_email_with_attachments(
    sandbox: SandboxServer, lm_hook: LegallyMailHook, tmp_path: Path
) -> None:
    note = tmp_path / "note.txt"
    note.write_text("hello")
    result = lm_hook.send_email(
        ["a@example.com", "b+bounce@example.com", "c+fail@example.com"],
        "Group",
        "<p>Hi all</p>",
        attachments=[note, {"content": b"%PDF-1.4 tiny", "filename": "doc.pdf"}],
    )
    assert result.is_multi_recipient and result.tracking_id.startswith("cm_parent_")
    assert (result.success_count, result.fail_count) == (2, 1)
    assert [r.status for r in result.recipients] == [EmailStatus.SENT, EmailStatus.SENT, EmailStatus.FAILED]
    (sent,) = sandbox.received(path="/api/send")
    files = {a["filename"]: base64.b64decode(a["content"]) for a in sent["json"]["attachments"]}
    assert files == {"note.txt": b"hello", "doc.pdf": b"%PDF-1.4 tiny"}
    sandbox.advance(40)
    email = lm_hook.get_email(result.tracking_id)
    assert email.status == EmailStatus.PENDING  # a group's own status stays pending, as documented
    by_address = {r.email: r for r in email.recipients}
    assert by_address["a@example.com"].status == EmailStatus.READ
    assert (by_address["b+bounce@example.com"].status, by_address["b+bounce@example.com"].error_details) == (
        EmailStatus.BOUNCED,
        "Mailbox does not exist",
    )
    assert email.error_status == "Hard Bounce"
    recipient = lm_hook.get_email(result.recipients[0].tracking_id or "")
    assert recipient.status == EmailStatus.READ and recipient.recipient == "a@example.com"


def test_list_emails_newest_first(sandbox: SandboxServer, lm_hook: LegallyMailHook) -> None:
    first = lm_hook.send_email("a@example.com", "One", "<p>1</p>").tracking_id
    sandbox.advance(1)
    second = lm_hook.send_email(["b@example.com", "c@example.com"], "Two", "<p>2</p>").tracking_id
    emails = lm_hook.list_emails(limit=25)
    assert [e.tracking_id for e in emails] == [second, first]
    assert emails[0].is_multi_recipient and emails[0].recipient_count == 2
    assert [e.tracking_id for e in lm_hook.list_emails(limit=1)] == [second]


def test_signature_flow_with_documents(sandbox: SandboxServer, lm_hook: LegallyMailHook, tmp_path: Path) -> None:
    document = tmp_path / "contract.pdf"
    document.write_bytes(CONTRACT)
    request = lm_hook.request_signature(
        document, None, [{"name": "Ana", "email": "ana@example.com", "phone": "+34600000000"}]
    )
    assert request.status == SignatureStatus.PENDING and request.document_name == "contract.pdf"
    detail = lm_hook.get_signature(request.uuid)
    assert detail.document_hash == hashlib.sha256(CONTRACT).hexdigest()
    assert detail.expires_at is not None and detail.signers[0].signer_phone == "+34600000000"
    assert detail.download_original_url is not None
    assert lm_hook.download(detail.download_original_url) == CONTRACT
    sandbox.advance(60)
    signed = lm_hook.get_signature(request.uuid)
    assert signed.status == SignatureStatus.SIGNED and signed.signed_at is not None
    assert signed.download_acta_url is not None
    acta = lm_hook.download(signed.download_acta_url)
    assert hashlib.sha256(acta).hexdigest() == signed.signed_document_hash
    assert [s.uuid for s in lm_hook.list_signatures(limit=5)] == [request.uuid]


def test_multi_signer_request_declined_and_expired(sandbox: SandboxServer, lm_hook: LegallyMailHook) -> None:
    signers = [{"name": "One", "email": "one@example.com"}, {"name": "Two", "email": "two+nosign@example.com"}]
    declined = lm_hook.request_signature(CONTRACT, "Deal.pdf", signers, language="en")
    (sent,) = sandbox.received(path="/api/signature/send")
    assert len(sent["json"]["signers"]) == 2 and sent["json"]["language"] == "en"
    assert sandbox.decline(declined.uuid, "two+nosign@example.com") == "declined"
    assert lm_hook.get_signature(declined.uuid).status == SignatureStatus.DECLINED
    waiting = lm_hook.request_signature(CONTRACT, "Deal.pdf", [signers[1]])
    sandbox.advance(7 * 24 * 3600)
    assert lm_hook.get_signature(waiting.uuid).status == SignatureStatus.EXPIRED
    statuses = {s.uuid: s.status for s in lm_hook.list_signatures()}
    assert statuses == {declined.uuid: SignatureStatus.DECLINED, waiting.uuid: SignatureStatus.EXPIRED}


def test_sms_delivered_and_failed(sandbox: SandboxServer, lm_hook: LegallyMailHook) -> None:
    sent = lm_hook.send_sms("+34 600 000 000", "Your code is 1234")
    failing = lm_hook.send_sms("+34600000999", "Never arrives")
    assert (sent.status, sent.credits_deducted) == (SmsStatus.SENT, 1)
    sandbox.advance(10)
    sms = lm_hook.get_sms(sent.uuid)
    assert (sms.status, sms.recipient) == (SmsStatus.DELIVERED, "+34600000000")
    assert sms.ts_confirmed_at is not None and sms.download_certificate_url is not None
    assert lm_hook.download(sms.download_certificate_url).startswith(b"%PDF-")
    failed = lm_hook.get_sms(failing.uuid)
    assert failed.status == SmsStatus.FAILED and failed.failed_at is not None


def test_credentials_in_body_mode(sandbox: SandboxServer, connect: Connect) -> None:
    connect(credentials_in_body=True)
    hook = LegallyMailHook()
    tracking_id = hook.send_email("ana@example.com", "Body token", "<p>x</p>").tracking_id
    sandbox.advance(30)
    email = hook.get_email(tracking_id)
    assert email.status == EmailStatus.READ
    url = email.certificates[0].pdf_download_url
    assert url is not None and hook.download(url).startswith(b"%PDF-")
    for entry in sandbox.received(path="/api/send") + sandbox.received(path="/api/email"):
        assert "authorization" not in entry["headers"]
        assert entry["json"]["token"] == token_digest(sandbox.legallymail_token)
