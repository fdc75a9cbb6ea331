"""What the sandbox stores: one dataclass per kind of object, plain JSON-able fields (epoch-second times).

Statuses are not stored: they are derived from these facts and the clock (see ``lifecycle``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RecipientRecord:
    """One recipient of a certified email. ``outcome``: deliver, noread, bounce, softbounce or fail."""

    tracking_id: str
    email: str
    outcome: str
    read_marked_at: float | None = None


@dataclass
class EmailRecord:
    id: int
    tracking_id: str
    subject: str
    message: str
    created_at: float
    mailsender_id: str
    multi: bool
    recipients: list[RecipientRecord]
    reply_to: str | None = None
    reply_to_name: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmailRecord:
        values = dict(data)
        values["recipients"] = [RecipientRecord(**r) for r in values.get("recipients", [])]
        return cls(**values)


@dataclass
class SignerRecord:
    """One signer. ``outcome``: sign, decline or nosign; ``*_manual`` are set by the control API."""

    name: str
    email: str
    phone: str | None
    outcome: str
    signed_manual: float | None = None
    declined_manual: float | None = None


@dataclass
class SignatureRecord:
    uuid: str
    document_name: str
    language: str
    document_b64: str
    document_hash: str
    created_at: float
    expires_at: float
    signers: list[SignerRecord]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignatureRecord:
        values = dict(data)
        values["signers"] = [SignerRecord(**s) for s in values.get("signers", [])]
        return cls(**values)


@dataclass
class SmsRecord:
    uuid: str
    phone: str
    message: str
    created_at: float
    fails: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SmsRecord:
        return cls(**data)


@dataclass
class LtEmailRecord:
    """A Legitmailer email: sent at ``send_at`` (immediately, or after a delay) unless cancelled before."""

    tracking_id: str
    from_address: str
    to_address: str
    subject: str
    body: str
    content_type: str
    created_at: float
    send_at: float
    validate: bool = False
    template: str | None = None
    token_map: dict[str, str] | None = None
    request_id: str | None = None
    cancelled_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LtEmailRecord:
        return cls(**data)

    def sent_by(self, now: float) -> bool:
        return self.cancelled_at is None and self.send_at <= now


@dataclass
class ContactRecord:
    list_id: str
    customer_id: str
    email: str
    data: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContactRecord:
        return cls(**data)
