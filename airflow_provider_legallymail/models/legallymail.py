"""Results of the LegallyMail API: account, emails with recipients and certificates, signatures, SMS.

Attribute names follow the API's snake_case fields; dates are pendulum DateTimes in the connection's time
zone; ``raw`` keeps the whole JSON object for anything not modelled here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pendulum import DateTime

from airflow_provider_legallymail.models.fields import (
    as_bool,
    as_datetime,
    as_dict,
    as_int,
    as_list,
    as_str,
)
from airflow_provider_legallymail.statuses import EmailStatus, SignatureStatus, SmsStatus


@dataclass(frozen=True)
class AccountUser:
    email: str | None
    name: str | None
    plan: str | None
    plan_name: str | None
    plan_limit: int | None
    extra_emails: int | None
    remaining_emails: int | None


@dataclass(frozen=True)
class AccountInfo:
    name: str | None
    version: str | None
    user: AccountUser
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> AccountInfo:
        user = as_dict(data.get("user"))
        return cls(
            name=as_str(data.get("name")),
            version=as_str(data.get("version")),
            user=AccountUser(
                email=as_str(user.get("email")),
                name=as_str(user.get("name")),
                plan=as_str(user.get("plan")),
                plan_name=as_str(user.get("plan_name")),
                plan_limit=as_int(user.get("plan_limit")),
                extra_emails=as_int(user.get("extra_emails")),
                remaining_emails=as_int(user.get("remaining_emails")),
            ),
            raw=data,
        )


@dataclass(frozen=True)
class Certificate:
    """A time-stamped legal certificate (TSQ/TSR) of one stage (delivered, read...) for one recipient."""

    certificate_type: str | None
    file_hash: str | None
    confirmed_at: DateTime | None
    has_tsr: bool
    has_tsq: bool
    pdf_download_url: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any], tz: str) -> Certificate:
        return cls(
            certificate_type=as_str(data.get("certificate_type")),
            file_hash=as_str(data.get("file_hash")),
            confirmed_at=as_datetime(data.get("confirmed_at"), tz),
            has_tsr=as_bool(data.get("has_tsr")),
            has_tsq=as_bool(data.get("has_tsq")),
            pdf_download_url=as_str(data.get("pdf_download_url")),
            raw=data,
        )


def _certificates(value: Any, tz: str) -> list[Certificate]:
    return [Certificate.from_api(c, tz) for c in as_list(value) if isinstance(c, dict)]


@dataclass(frozen=True)
class SentRecipient:
    """One recipient of ``POST /api/send``: its own tracking id and the status at send time."""

    email: str
    status: EmailStatus
    tracking_id: str | None
    error_details: str | None


@dataclass(frozen=True)
class SendResult:
    """Answer to ``POST /api/send``. A single-recipient send is shown as one entry of ``recipients``."""

    tracking_id: str
    subject: str | None
    sent_at: DateTime | None
    recipients: list[SentRecipient]
    is_multi_recipient: bool
    success_count: int
    fail_count: int
    error_status: str | None
    mailsender_id: str | None
    message: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, body: dict[str, Any], tz: str) -> SendResult:
        data = as_dict(body.get("data"))
        multi = isinstance(data.get("recipients"), list)
        if multi:
            recipients = [
                SentRecipient(
                    email=str(r.get("email", "")),
                    status=EmailStatus.parse(r.get("status")),
                    tracking_id=as_str(r.get("tracking_id")),
                    error_details=as_str(r.get("error_details")),
                )
                for r in as_list(data.get("recipients"))
                if isinstance(r, dict)
            ]
        else:
            recipients = [
                SentRecipient(
                    email=str(data.get("recipient", "")),
                    status=EmailStatus.parse(data.get("status") or EmailStatus.SENT.value),
                    tracking_id=as_str(data.get("tracking_id")),
                    error_details=as_str(data.get("error_details")),
                )
            ]
        ok = sum(1 for r in recipients if not r.status.is_failure)
        return cls(
            tracking_id=str(data.get("tracking_id", "")),
            subject=as_str(data.get("subject")),
            sent_at=as_datetime(data.get("sent_at"), tz),
            recipients=recipients,
            is_multi_recipient=multi,
            success_count=as_int(data.get("success_count")) if multi else ok,  # type: ignore[arg-type]
            fail_count=as_int(data.get("fail_count")) if multi else len(recipients) - ok,  # type: ignore[arg-type]
            error_status=as_str(data.get("error_status")),
            mailsender_id=as_str(data.get("mailsender_id")),
            message=as_str(body.get("message")),
            raw=body,
        )


@dataclass(frozen=True)
class EmailRecipient:
    """One recipient of a (multi-recipient) email, with its status and certificates."""

    email: str
    name: str | None
    status: EmailStatus
    tracking_id: str | None
    sent_at: DateTime | None
    delivered_at: DateTime | None
    read_at: DateTime | None
    error_details: str | None
    certificates: list[Certificate]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any], tz: str) -> EmailRecipient:
        return cls(
            email=str(data.get("email", "")),
            name=as_str(data.get("name")),
            status=EmailStatus.parse(data.get("status")),
            tracking_id=as_str(data.get("tracking_id")),
            sent_at=as_datetime(data.get("sent_at"), tz),
            delivered_at=as_datetime(data.get("delivered_at"), tz),
            read_at=as_datetime(data.get("read_at"), tz),
            error_details=as_str(data.get("error_details")),
            certificates=_certificates(data.get("certificates"), tz),
            raw=data,
        )


@dataclass(frozen=True)
class Email:
    """An email from ``GET /api/emails`` (summary) or ``GET /api/email`` (with recipients, certificates)."""

    id: int | None
    tracking_id: str
    recipient: str | None
    subject: str | None
    status: EmailStatus
    sent_at: DateTime | None
    read_at: DateTime | None
    created_at: DateTime | None
    mailsender_id: str | None
    is_multi_recipient: bool
    recipient_count: int | None
    error_status: str | None
    error_details: str | None
    delivered_at: DateTime | None
    certificates: list[Certificate]
    recipients: list[EmailRecipient]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any], tz: str) -> Email:
        return cls(
            id=as_int(data.get("id")),
            tracking_id=str(data.get("tracking_id", "")),
            recipient=as_str(data.get("recipient")),
            subject=as_str(data.get("subject")),
            status=EmailStatus.parse(data.get("status")),
            sent_at=as_datetime(data.get("sent_at"), tz),
            read_at=as_datetime(data.get("read_at"), tz),
            created_at=as_datetime(data.get("created_at"), tz),
            mailsender_id=as_str(data.get("mailsender_id")),
            is_multi_recipient=as_bool(data.get("is_multi_recipient")),
            recipient_count=as_int(data.get("recipient_count")),
            error_status=as_str(data.get("error_status")),
            error_details=as_str(data.get("error_details")),
            delivered_at=as_datetime(data.get("delivered_at"), tz),
            certificates=_certificates(data.get("certificates"), tz),
            recipients=[EmailRecipient.from_api(r, tz) for r in as_list(data.get("recipients")) if isinstance(r, dict)],
            raw=data,
        )

    def all_certificates(self) -> list[Certificate]:
        """The email's own certificates followed by every recipient's."""
        return [*self.certificates, *(c for r in self.recipients for c in r.certificates)]


@dataclass(frozen=True)
class Signer:
    signer_name: str | None
    signer_email: str | None
    signer_phone: str | None
    status: SignatureStatus
    signed_at: DateTime | None

    @classmethod
    def from_api(cls, data: dict[str, Any], tz: str) -> Signer:
        return cls(
            signer_name=as_str(data.get("signer_name", data.get("name"))),
            signer_email=as_str(data.get("signer_email", data.get("email"))),
            signer_phone=as_str(data.get("signer_phone", data.get("phone"))),
            status=SignatureStatus.parse(data.get("status")),
            signed_at=as_datetime(data.get("signed_at"), tz),
        )


@dataclass(frozen=True)
class SignatureRequest:
    """A signature request, as answered by send, list or detail (fields a call omits are None/empty)."""

    uuid: str
    signer_name: str | None
    signer_email: str | None
    document_name: str | None
    status: SignatureStatus
    created_at: DateTime | None
    signed_at: DateTime | None
    expires_at: DateTime | None
    document_hash: str | None
    signed_document_hash: str | None
    signers: list[Signer]
    download_original_url: str | None
    download_acta_url: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any], tz: str) -> SignatureRequest:
        return cls(
            uuid=str(data.get("uuid", "")),
            signer_name=as_str(data.get("signer_name")),
            signer_email=as_str(data.get("signer_email")),
            document_name=as_str(data.get("document_name")),
            status=SignatureStatus.parse(data.get("status")),
            created_at=as_datetime(data.get("created_at"), tz),
            signed_at=as_datetime(data.get("signed_at"), tz),
            expires_at=as_datetime(data.get("expires_at"), tz),
            document_hash=as_str(data.get("document_hash")),
            signed_document_hash=as_str(data.get("signed_document_hash")),
            signers=[Signer.from_api(s, tz) for s in as_list(data.get("signers")) if isinstance(s, dict)],
            download_original_url=as_str(data.get("download_original_url")),
            download_acta_url=as_str(data.get("download_acta_url")),
            raw=data,
        )


@dataclass(frozen=True)
class SmsSendResult:
    """Answer to ``POST /api/sms/send``."""

    uuid: str
    status: SmsStatus
    credits_deducted: int | None
    message: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> SmsSendResult:
        return cls(
            uuid=str(data.get("uuid", "")),
            status=SmsStatus.parse(data.get("status")),
            credits_deducted=as_int(data.get("credits_deducted")),
            message=as_str(data.get("message")),
            raw=data,
        )


@dataclass(frozen=True)
class Sms:
    """A certified SMS from ``GET /api/sms``."""

    uuid: str
    recipient: str | None
    message: str | None
    status: SmsStatus
    credits: int | None
    sent_at: DateTime | None
    delivered_at: DateTime | None
    failed_at: DateTime | None
    ts_confirmed_at: DateTime | None
    download_certificate_url: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any], tz: str) -> Sms:
        return cls(
            uuid=str(data.get("uuid", "")),
            recipient=as_str(data.get("recipient")),
            message=as_str(data.get("message")),
            status=SmsStatus.parse(data.get("status")),
            credits=as_int(data.get("credits")),
            sent_at=as_datetime(data.get("sent_at"), tz),
            delivered_at=as_datetime(data.get("delivered_at"), tz),
            failed_at=as_datetime(data.get("failed_at"), tz),
            ts_confirmed_at=as_datetime(data.get("ts_confirmed_at"), tz),
            download_certificate_url=as_str(data.get("download_certificate_url")),
            raw=data,
        )
