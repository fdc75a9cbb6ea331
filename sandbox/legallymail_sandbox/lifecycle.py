"""Statuses derived from stored facts and the clock: email recipients, whole emails, signatures, SMS.

Nothing changes in the background: every read computes where each object is on its timeline now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from airflow_provider_legallymail.statuses import EmailStatus, SignatureStatus, SmsStatus
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.records import (
    EmailRecord,
    RecipientRecord,
    SignatureRecord,
    SignerRecord,
    SmsRecord,
)

HARD_BOUNCE = ("Hard Bounce", "Mailbox does not exist")
# A soft bounce, as the documented example shows one: the recipient is still ``delivered`` (with a delivered
# certificate) and carries the error; the list endpoint's ``error_status`` reads "Soft Bounce".
SOFT_BOUNCE = ("Soft Bounce", "Recipient inbox full")
SEND_FAILURE = ("Send Failure", "Recipient address rejected")
# Outcomes that are never read unless the control API marks them read.
UNREAD_OUTCOMES = frozenset({"noread", "softbounce"})


@dataclass(frozen=True)
class RecipientView:
    status: EmailStatus
    sent_at: float | None
    delivered_at: float | None = None
    read_at: float | None = None
    error_status: str | None = None
    error_details: str | None = None
    stages: list[tuple[str, float]] = field(default_factory=list)


def recipient_view(recipient: RecipientRecord, created_at: float, now: float, cfg: SandboxConfig) -> RecipientView:
    if recipient.outcome == "fail":
        return RecipientView(EmailStatus.FAILED, None, error_status=SEND_FAILURE[0], error_details=SEND_FAILURE[1])
    delivered_at = created_at + cfg.delivered_after
    if recipient.outcome == "bounce":
        if now < delivered_at:
            return RecipientView(EmailStatus.SENT, created_at)
        return RecipientView(EmailStatus.BOUNCED, created_at, error_status=HARD_BOUNCE[0], error_details=HARD_BOUNCE[1])
    error_status, error_details = SOFT_BOUNCE if recipient.outcome == "softbounce" else (None, None)
    reads = [t for t in (recipient.read_marked_at,) if t is not None]
    if recipient.outcome not in UNREAD_OUTCOMES:
        reads.append(created_at + cfg.read_after)
    read_at = min(reads) if reads else None
    if read_at is not None and read_at <= now:
        delivered_at = min(delivered_at, read_at)
        stages = [("delivered", delivered_at), ("read", read_at)]
        return RecipientView(EmailStatus.READ, created_at, delivered_at, read_at, error_status, error_details, stages)
    if delivered_at <= now:
        stages = [("delivered", delivered_at)]
        return RecipientView(EmailStatus.DELIVERED, created_at, delivered_at, None, error_status, error_details, stages)
    return RecipientView(EmailStatus.SENT, created_at)


def email_status(views: list[RecipientView], multi: bool) -> EmailStatus:
    """A single email has its recipient's status; a multi-recipient email's own status stays ``pending``.

    The documented ``GET /api/email`` example shows a group still ``pending`` while its recipients are
    ``read`` and ``delivered``: the group status is no aggregate, and clients must decide from the recipients.
    """
    return EmailStatus.PENDING if multi else views[0].status


def email_views(email: EmailRecord, now: float, cfg: SandboxConfig) -> list[RecipientView]:
    return [recipient_view(r, email.created_at, now, cfg) for r in email.recipients]


# -- signatures ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignerView:
    status: SignatureStatus
    signed_at: float | None
    declined_at: float | None


@dataclass(frozen=True)
class SignatureView:
    status: SignatureStatus
    signed_at: float | None
    declined_at: float | None
    signers: list[SignerView]


def _first_event(signer: SignerRecord, sig: SignatureRecord, cfg: SandboxConfig) -> tuple[float, str] | None:
    """The signer's first action (time, "signed"|"declined") if it happens before the request expires."""
    natural = sig.created_at + cfg.sign_after
    events: list[tuple[float, str]] = []
    if signer.signed_manual is not None:
        events.append((signer.signed_manual, "signed"))
    if signer.declined_manual is not None:
        events.append((signer.declined_manual, "declined"))
    if signer.outcome == "sign":
        events.append((natural, "signed"))
    elif signer.outcome == "decline":
        events.append((natural, "declined"))
    events = [e for e in events if e[0] <= sig.expires_at]
    return min(events) if events else None


def signature_view(sig: SignatureRecord, now: float, cfg: SandboxConfig) -> SignatureView:
    firsts = [_first_event(s, sig, cfg) for s in sig.signers]
    declines = [e[0] for e in firsts if e is not None and e[1] == "declined" and e[0] <= now]
    declined_at = min(declines) if declines else None
    expired = now >= sig.expires_at
    signers = []
    for event in firsts:
        happened = event is not None and event[0] <= now and (declined_at is None or event[0] <= declined_at)
        if event is not None and happened:
            kind = SignatureStatus(event[1])
            signers.append(
                SignerView(
                    kind,
                    event[0] if kind == SignatureStatus.SIGNED else None,
                    event[0] if kind != SignatureStatus.SIGNED else None,
                )
            )
        else:
            waiting = SignatureStatus.EXPIRED if expired and declined_at is None else SignatureStatus.PENDING
            signers.append(SignerView(waiting, None, None))
    if declined_at is not None:
        return SignatureView(SignatureStatus.DECLINED, None, declined_at, signers)
    if all(s.status == SignatureStatus.SIGNED for s in signers):
        return SignatureView(SignatureStatus.SIGNED, max(s.signed_at or 0.0 for s in signers), None, signers)
    if expired:
        return SignatureView(SignatureStatus.EXPIRED, None, None, signers)
    return SignatureView(SignatureStatus.PENDING, None, None, signers)


# -- SMS -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SmsView:
    status: SmsStatus
    delivered_at: float | None
    failed_at: float | None
    ts_confirmed_at: float | None


def sms_view(sms: SmsRecord, now: float, cfg: SandboxConfig) -> SmsView:
    arrives = sms.created_at + cfg.sms_delivered_after
    if now < arrives:
        return SmsView(SmsStatus.SENT, None, None, None)
    if sms.fails:
        return SmsView(SmsStatus.FAILED, None, arrives, None)
    confirmed = sms.created_at + cfg.sms_confirmed_after
    return SmsView(SmsStatus.DELIVERED, arrives, None, confirmed if confirmed <= now else None)
