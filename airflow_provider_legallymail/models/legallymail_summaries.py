"""JSON-serialisable summaries of sends, for XCom, the ledger and notifier logs (``contracts``' shapes)."""

from __future__ import annotations

from typing import Any

from pendulum import DateTime

from airflow_provider_legallymail.contracts import EmailRecipientSummary, EmailSend, SignatureSend, SmsSend
from airflow_provider_legallymail.models.legallymail import (
    Email,
    EmailRecipient,
    SendResult,
    SentRecipient,
    SignatureRequest,
    SmsSendResult,
)
from airflow_provider_legallymail.statuses import EmailStatus


def iso(value: DateTime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _recipient(r: EmailRecipient | SentRecipient) -> EmailRecipientSummary:
    return {"email": r.email, "tracking_id": r.tracking_id, "status": r.status.value, "error_details": r.error_details}


def email_summary(result: SendResult) -> dict[str, Any]:
    summary: EmailSend = {
        "tracking_id": result.tracking_id,
        "subject": result.subject,
        "sent_at": iso(result.sent_at),
        "status": "sent" if result.fail_count == 0 else ("failed" if result.success_count == 0 else "partial"),
        "recipients": [_recipient(r) for r in result.recipients],
        "success_count": result.success_count,
        "fail_count": result.fail_count,
    }
    return dict(summary)


def adopted_email_summary(email: Email) -> dict[str, Any]:
    """The same shape, built from ``GET /api/email`` (or a list entry) when a send is adopted."""
    recipients: list[EmailRecipientSummary] = [_recipient(r) for r in email.recipients] or [
        {
            "email": email.recipient,
            "tracking_id": email.tracking_id,
            "status": email.status.value,
            "error_details": email.error_details,
        }
    ]
    failures = {status.value for status in EmailStatus.failure()}
    failed = sum(1 for r in recipients if r["status"] in failures)
    summary: EmailSend = {
        "tracking_id": email.tracking_id,
        "subject": email.subject,
        "sent_at": iso(email.sent_at or email.created_at),
        "status": email.status.value,
        "recipients": recipients,
        "success_count": len(recipients) - failed,
        "fail_count": failed,
    }
    return dict(summary)


def signature_summary(request: SignatureRequest) -> dict[str, Any]:
    summary: SignatureSend = {
        "uuid": request.uuid,
        "status": request.status.value,
        "document_name": request.document_name,
        "signer_email": request.signer_email,
        "created_at": iso(request.created_at),
    }
    return dict(summary)


def sms_summary(result: SmsSendResult, phone: str) -> dict[str, Any]:
    summary: SmsSend = {
        "uuid": result.uuid,
        "status": result.status.value,
        "phone": phone,
        "credits_deducted": result.credits_deducted,
    }
    return dict(summary)
