"""The PDFs behind the download URLs (certificates, original documents, signature actas) and their URLs.

Each PDF is rendered from stored facts only, so its SHA-256 is stable and matches the ``file_hash`` /
``signed_document_hash`` the API reports.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlencode

from legallymail_sandbox.clock import lm_date
from legallymail_sandbox.lifecycle import SignatureView
from legallymail_sandbox.pdf import render_pdf
from legallymail_sandbox.records import EmailRecord, RecipientRecord, SignatureRecord, SmsRecord

DISCLAIMER = "Issued by the LegallyMail sandbox: a test document without legal value."


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- URLs (``base`` is the absolute LegallyMail base, e.g. http://127.0.0.1:8765/legallymail) -----------
def certificate_url(base: str, recipient_tracking_id: str, stage: str) -> str:
    return f"{base}/emails/download-certificate?{urlencode({'id': recipient_tracking_id, 'status': stage})}"


def original_url(base: str, uuid: str) -> str:
    return f"{base}/dashboard/electronic-signature/download-original/{uuid}"


def acta_url(base: str, uuid: str) -> str:
    return f"{base}/dashboard/electronic-signature/download-acta/{uuid}"


def sms_certificate_url(base: str, uuid: str) -> str:
    return f"{base}/dashboard/certified-sms/download-certificate/{uuid}"


# -- documents -------------------------------------------------------------------------------------
def email_certificate_pdf(email: EmailRecord, recipient: RecipientRecord, stage: str, at: float, tz: str) -> bytes:
    return render_pdf(
        f"Certificate of {stage}",
        [
            f"Email tracking id: {email.tracking_id}",
            f"Recipient tracking id: {recipient.tracking_id}",
            f"Recipient: {recipient.email}",
            f"Subject: {email.subject}",
            f"Stage: {stage}",
            f"Confirmed at: {lm_date(at, tz)} ({tz})",
            DISCLAIMER,
        ],
    )


def original_pdf(signature: SignatureRecord) -> bytes:
    return base64.b64decode(signature.document_b64)


def acta_pdf(signature: SignatureRecord, view: SignatureView, tz: str) -> bytes:
    lines = [
        f"Signature request: {signature.uuid}",
        f"Document: {signature.document_name}",
        f"Document SHA-256: {signature.document_hash}",
    ]
    for signer, signer_view in zip(signature.signers, view.signers, strict=True):
        lines.append(f"Signed by {signer.name} <{signer.email}> at {lm_date(signer_view.signed_at, tz)} ({tz})")
    lines.append(DISCLAIMER)
    return render_pdf("Electronic signature record (acta)", lines)


def sms_certificate_pdf(sms: SmsRecord, delivered_at: float, tz: str) -> bytes:
    return render_pdf(
        "Certified SMS delivery certificate",
        [
            f"SMS: {sms.uuid}",
            f"Recipient: {sms.phone}",
            f"Message: {sms.message}",
            f"Delivered at: {lm_date(delivered_at, tz)} ({tz})",
            DISCLAIMER,
        ],
    )
