"""LegallyMail JSON shapes of stored objects, as the documented responses show them."""

from __future__ import annotations

from typing import Any

from airflow_provider_legallymail.statuses import SignatureStatus, SmsStatus
from legallymail_sandbox import evidence
from legallymail_sandbox.clock import lm_date
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.lifecycle import (
    RecipientView,
    email_status,
    email_views,
    signature_view,
    sms_view,
)
from legallymail_sandbox.records import EmailRecord, RecipientRecord, SignatureRecord, SmsRecord

MULTIPLE = "Multiple Recipients"


def display_name(address: str) -> str:
    """The sandbox has no address book: a recipient's ``name`` is the local part of its address."""
    return address.split("@", 1)[0]


# -- emails ----------------------------------------------------------------------------------------
def listed_stages(view: RecipientView, cfg: SandboxConfig) -> list[tuple[str, float]]:
    """The stages a recipient lists certificates for: once read, only ``read`` unless configured otherwise."""
    if cfg.read_certificates == "read_only" and any(stage == "read" for stage, _ in view.stages):
        return [(stage, at) for stage, at in view.stages if stage == "read"]
    return list(view.stages)


def certificates(
    email: EmailRecord, recipient: RecipientRecord, view: RecipientView, base: str, cfg: SandboxConfig
) -> list[Any]:
    tz = cfg.timezone
    result = []
    for stage, at in listed_stages(view, cfg):
        pdf = evidence.email_certificate_pdf(email, recipient, stage, at, tz)
        result.append(
            {
                "certificate_type": stage,
                "file_hash": evidence.sha256_hex(pdf),
                "confirmed_at": lm_date(at, tz),
                "has_tsr": True,
                "has_tsq": True,
                "pdf_download_url": evidence.certificate_url(base, recipient.tracking_id, stage),
            }
        )
    return result


def recipient_json(
    email: EmailRecord, recipient: RecipientRecord, view: RecipientView, base: str, cfg: SandboxConfig
) -> Any:
    tz = cfg.timezone
    return {
        "email": recipient.email,
        "name": display_name(recipient.email),
        "status": view.status.value,
        "tracking_id": recipient.tracking_id,
        "sent_at": lm_date(view.sent_at, tz),
        "delivered_at": lm_date(view.delivered_at, tz),
        "read_at": lm_date(view.read_at, tz),
        "error_status": view.error_status,
        "error_details": view.error_details,
        "certificates": certificates(email, recipient, view, base, cfg),
    }


def _first(values: list[str | None]) -> str | None:
    return next((v for v in values if v), None)


def email_summary(email: EmailRecord, now: float, cfg: SandboxConfig) -> dict[str, Any]:
    """An item of ``GET /api/emails``."""
    views = email_views(email, now, cfg)
    tz = cfg.timezone
    # A group's own status stays pending (see ``email_status``), so its own read_at stays null too.
    read_at = None if email.multi else views[0].read_at
    return {
        "id": email.id,
        "tracking_id": email.tracking_id,
        "recipient": MULTIPLE if email.multi else email.recipients[0].email,
        "subject": email.subject,
        "status": email_status(views, email.multi).value,
        "sent_at": lm_date(email.created_at, tz),
        "read_at": lm_date(read_at, tz),
        "created_at": lm_date(email.created_at, tz),
        "mailsender_id": email.mailsender_id,
        "is_multi_recipient": email.multi,
        "recipient_count": len(email.recipients),
        "error_status": _first([v.error_status for v in views]),
    }


def email_detail(email: EmailRecord, now: float, cfg: SandboxConfig, base: str) -> dict[str, Any]:
    """``GET /api/email`` for an email's own tracking id (single: fields at top level; multi: recipients)."""
    if not email.multi:
        return recipient_detail(email, email.recipients[0], now, cfg, base)
    views = email_views(email, now, cfg)
    detail = email_summary(email, now, cfg)
    detail.update(
        {
            "delivered_at": None,  # like status and read_at, a group's own times never move
            "error_details": _first([v.error_details for v in views]),
            "certificates": [],
            "recipients": [
                recipient_json(email, r, v, base, cfg) for r, v in zip(email.recipients, views, strict=True)
            ],
        }
    )
    return detail


def recipient_detail(
    email: EmailRecord, recipient: RecipientRecord, now: float, cfg: SandboxConfig, base: str
) -> dict[str, Any]:
    """One recipient shown as a single-recipient email (its fields and certificates at the top level)."""
    index = email.recipients.index(recipient)
    view = email_views(email, now, cfg)[index]
    tz = cfg.timezone
    detail: dict[str, Any] = {
        "id": email.id,
        "tracking_id": recipient.tracking_id,
        "recipient": recipient.email,
        "subject": email.subject,
        "status": view.status.value,
        "sent_at": lm_date(email.created_at, tz),
        "delivered_at": lm_date(view.delivered_at, tz),
        "read_at": lm_date(view.read_at, tz),
        "created_at": lm_date(email.created_at, tz),
        "mailsender_id": email.mailsender_id,
        "is_multi_recipient": False,
        "recipient_count": 1,
        "error_status": view.error_status,
        "error_details": view.error_details,
        "certificates": certificates(email, recipient, view, base, cfg),
    }
    if email.multi:
        detail["parent_tracking_id"] = email.tracking_id
    return detail


# -- signatures ------------------------------------------------------------------------------------
def signature_summary(sig: SignatureRecord, now: float, cfg: SandboxConfig) -> dict[str, Any]:
    view = signature_view(sig, now, cfg)
    tz = cfg.timezone
    return {
        "uuid": sig.uuid,
        "signer_name": sig.signers[0].name,
        "signer_email": sig.signers[0].email,
        "document_name": sig.document_name,
        "status": view.status.value,
        "created_at": lm_date(sig.created_at, tz),
        "signed_at": lm_date(view.signed_at, tz),
    }


def signed_document_hash(sig: SignatureRecord, now: float, cfg: SandboxConfig) -> str | None:
    view = signature_view(sig, now, cfg)
    if view.status != SignatureStatus.SIGNED:
        return None
    return evidence.sha256_hex(evidence.acta_pdf(sig, view, cfg.timezone))


def signature_detail(sig: SignatureRecord, now: float, cfg: SandboxConfig, base: str) -> dict[str, Any]:
    view = signature_view(sig, now, cfg)
    tz = cfg.timezone
    detail = signature_summary(sig, now, cfg)
    detail.update(
        {
            "expires_at": lm_date(sig.expires_at, tz),
            "declined_at": lm_date(view.declined_at, tz),
            "language": sig.language,
            "document_hash": sig.document_hash,
            "signed_document_hash": signed_document_hash(sig, now, cfg),
            "signers": [
                {
                    "signer_name": s.name,
                    "signer_email": s.email,
                    "signer_phone": s.phone,
                    "status": v.status.value,
                    "signed_at": lm_date(v.signed_at, tz),
                }
                for s, v in zip(sig.signers, view.signers, strict=True)
            ],
            "download_original_url": evidence.original_url(base, sig.uuid),
            "download_acta_url": evidence.acta_url(base, sig.uuid),
        }
    )
    return detail


# -- SMS -------------------------------------------------------------------------------------------
def sms_detail(sms: SmsRecord, now: float, cfg: SandboxConfig, base: str) -> dict[str, Any]:
    view = sms_view(sms, now, cfg)
    tz = cfg.timezone
    return {
        "uuid": sms.uuid,
        "recipient": sms.phone,
        "message": sms.message,
        "status": view.status.value,
        "credits": 1,
        "sent_at": lm_date(sms.created_at, tz),
        "delivered_at": lm_date(view.delivered_at, tz),
        "failed_at": lm_date(view.failed_at, tz),
        "ts_confirmed_at": lm_date(view.ts_confirmed_at, tz),
        "download_certificate_url": None
        if view.status == SmsStatus.FAILED
        else evidence.sms_certificate_url(base, sms.uuid),
    }
