"""What the evidence of one email, signature request or SMS is: its files, their published hashes, its facts.

- An email: every certificate of every recipient (and any at the email's top level), as listed. A read
  recipient may list only a ``read`` certificate (the documented example) or a ``delivered`` and a
  ``read`` one: each listed certificate is one file, so both shapes archive what the API offers.
- A signature request: the original document (``document_hash``) and, once signed, the acta, verified
  against ``signed_document_hash``: the docs publish no other signed-document URL, and the acta is the
  document the platform signs.
- An SMS: its certificate once delivered. The API publishes no hash for it: the computed one is recorded.

Source URLs are kept as the API gives them, minus any credential a query string might carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from airflow_provider_legallymail.evidence.links import evidence_label
from airflow_provider_legallymail.kinds import EMAIL, SIGNATURE, SMS
from airflow_provider_legallymail.models.legallymail import (
    Certificate,
    Email,
    EmailRecipient,
    SignatureRequest,
    Sms,
)
from airflow_provider_legallymail.models.legallymail_summaries import iso
from airflow_provider_legallymail.statuses import SignatureStatus, SmsStatus
from airflow_provider_legallymail.storage import segment

SECRET_PARAMS = frozenset({"token", "access_token", "api_key", "apikey", "key", "signature", "sig"})
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class EvidenceFile:
    """One file to fetch: where from (``url``, never shown), its public ``source_url`` and expected hash."""

    name: str
    kind: str
    url: str = field(repr=False)
    source_url: str
    expected_sha256: str | None
    hash_field: str | None
    party: str | None = None
    stage: str | None = None
    confirmed_at: str | None = None

    @property
    def label(self) -> str:
        """How a person names this file: "ana@example.com: read certificate", "Audit trail (acta)"."""
        return evidence_label(self.kind, self.party, self.stage)


@dataclass(frozen=True)
class EvidenceItem:
    """Everything archived for one id: the facts for the manifest and the files."""

    kind: str
    id: str
    status: str
    facts: dict[str, Any]
    files: list[EvidenceFile]
    source: dict[str, Any] | None = None  # from an observation: {"from": "wait" / "event", "observed_at"}; None: read

    def statuses(self) -> dict[str, str]:
        """Status per recipient / signer / phone (an email's group status is not a usable aggregate)."""
        parties = self.facts.get("recipients") or self.facts.get("signers") or []
        found = {str(p.get("email") or p.get("phone")): str(p.get("status")) for p in parties}
        return found or {self.id: self.status}


def normalize_sha256(value: str | None) -> str | None:
    """A published hash as lowercase hex without a ``sha256:`` prefix (None stays None)."""
    if value is None:
        return None
    text = value.strip().lower()
    return text.removeprefix("sha256:").strip() or None


def is_sha256(value: str | None) -> bool:
    return value is not None and bool(_HEX64.fullmatch(value))


def public_url(url: str, secret: str | None = None) -> str:
    """``url`` without credential-like query parameters, and with ``secret`` masked wherever it appears."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if k.lower() not in SECRET_PARAMS and not (secret and secret in v)]
    clean = urlunsplit(parts._replace(query=urlencode(kept))) if len(kept) != len(query) else url
    return clean.replace(secret, "***") if secret else clean


def certificate_file(
    url: str | None,
    file_hash: str | None,
    stage: str | None,
    owner_id: str,
    party: str | None,
    confirmed_at: str | None,
    secret: str | None = None,
) -> EvidenceFile | None:
    """One certificate PDF of ``owner_id`` (a recipient's tracking id), or None without a URL."""
    if not url:
        return None
    stage = stage or "certificate"
    return EvidenceFile(
        name=f"certificate-{segment(owner_id)}-{segment(stage)}.pdf",
        kind="certificate",
        url=url,
        source_url=public_url(url, secret),
        expected_sha256=normalize_sha256(file_hash),
        hash_field="file_hash",
        party=party,
        stage=stage,
        confirmed_at=confirmed_at,
    )


def _certificate_file(cert: Certificate, owner_id: str, party: str | None, secret: str | None) -> EvidenceFile | None:
    return certificate_file(
        cert.pdf_download_url, cert.file_hash, cert.certificate_type, owner_id, party, iso(cert.confirmed_at), secret
    )


def document_file(
    kind: str,
    url: str | None,
    sha256: str | None,
    document_name: str | None,
    secret: str | None,
    confirmed_at: str | None = None,
) -> EvidenceFile | None:
    """A signature request's ``original`` (``document_hash``) or ``acta`` (``signed_document_hash``)."""
    if not url:
        return None
    return EvidenceFile(
        name=f"{kind}.pdf",
        kind=kind,
        url=url,
        source_url=public_url(url, secret),
        expected_sha256=normalize_sha256(sha256),
        hash_field="document_hash" if kind == "original" else "signed_document_hash",
        party=document_name,
        confirmed_at=confirmed_at,
    )


def sms_file(url: str | None, phone: str | None, confirmed_at: str | None, secret: str | None) -> EvidenceFile | None:
    """A delivered SMS's certificate (no hash is published)."""
    if not url:
        return None
    return EvidenceFile(
        name="sms-certificate.pdf",
        kind="sms_certificate",
        url=url,
        source_url=public_url(url, secret),
        expected_sha256=None,
        hash_field=None,
        party=phone,
        confirmed_at=confirmed_at,
    )


def _recipient_facts(r: EmailRecipient) -> dict[str, Any]:
    return {
        "email": r.email,
        "name": r.name,
        "tracking_id": r.tracking_id,
        "status": r.status.value,
        "sent_at": iso(r.sent_at),
        "delivered_at": iso(r.delivered_at),
        "read_at": iso(r.read_at),
        "error_details": r.error_details,
        "certificates": [c.certificate_type for c in r.certificates],
    }


def unique_files(files: list[EvidenceFile | None]) -> list[EvidenceFile]:
    """One file per URL; a second URL that would get the same name gets a numbered one."""
    seen_urls: set[str] = set()
    names: set[str] = set()
    result = []
    for f in files:
        if f is None or f.url in seen_urls:
            continue
        seen_urls.add(f.url)
        name, n = f.name, 2
        while name in names:
            stem, dot, ext = f.name.rpartition(".")
            name, n = f"{stem}-{n}{dot}{ext}", n + 1
        names.add(name)
        result.append(f if name == f.name else replace(f, name=name))
    return result


def collect_email(email: Email, secret: str | None = None) -> EvidenceItem:
    """The certificates of an email (``GET /api/email``), per recipient and stage, as listed."""
    files: list[EvidenceFile | None] = [
        _certificate_file(c, email.tracking_id, email.recipient, secret) for c in email.certificates
    ]
    for r in email.recipients:
        files += [_certificate_file(c, r.tracking_id or email.tracking_id, r.email, secret) for c in r.certificates]
    recipients = [_recipient_facts(r) for r in email.recipients] or [
        {
            "email": email.recipient,
            "tracking_id": email.tracking_id,
            "status": email.status.value,
            "sent_at": iso(email.sent_at),
            "delivered_at": iso(email.delivered_at),
            "read_at": iso(email.read_at),
            "error_details": email.error_details,
            "certificates": [c.certificate_type for c in email.certificates],
        }
    ]
    facts = {
        "tracking_id": email.tracking_id,
        "subject": email.subject,
        "status": email.status.value,
        "created_at": iso(email.created_at),
        "sent_at": iso(email.sent_at),
        "is_multi_recipient": email.is_multi_recipient,
        "recipients": recipients,
    }
    return EvidenceItem(EMAIL.name, email.tracking_id, email.status.value, facts, unique_files(files))


def collect_signature(request: SignatureRequest, secret: str | None = None) -> EvidenceItem:
    """The original document, and once signed the acta (verified against ``signed_document_hash``)."""
    signers = [
        {"name": s.signer_name, "email": s.signer_email, "status": s.status.value, "signed_at": iso(s.signed_at)}
        for s in request.signers
    ]
    files = [
        document_file("original", request.download_original_url, request.document_hash, request.document_name, secret)
    ]
    if request.status is SignatureStatus.SIGNED:
        signed_at = iso(request.signed_at)
        files.append(
            document_file(
                "acta",
                request.download_acta_url,
                request.signed_document_hash,
                request.document_name,
                secret,
                signed_at,
            )
        )
    facts = {
        "uuid": request.uuid,
        "document_name": request.document_name,
        "status": request.status.value,
        "created_at": iso(request.created_at),
        "signed_at": iso(request.signed_at),
        "expires_at": iso(request.expires_at),
        "document_hash": request.document_hash,
        "signed_document_hash": request.signed_document_hash,
        "signers": signers,
    }
    return EvidenceItem(SIGNATURE.name, request.uuid, request.status.value, facts, unique_files(files))


def collect_sms(sms: Sms, secret: str | None = None) -> EvidenceItem:
    """The SMS certificate once delivered (no hash is published: the computed one is recorded)."""
    files: list[EvidenceFile | None] = []
    if sms.status is SmsStatus.DELIVERED:
        files.append(sms_file(sms.download_certificate_url, sms.recipient, iso(sms.ts_confirmed_at), secret))
    facts = {
        "uuid": sms.uuid,
        "status": sms.status.value,
        "message": sms.message,
        "credits": sms.credits,
        "sent_at": iso(sms.sent_at),
        "delivered_at": iso(sms.delivered_at),
        "failed_at": iso(sms.failed_at),
        "ts_confirmed_at": iso(sms.ts_confirmed_at),
        "recipients": [{"phone": sms.recipient, "status": sms.status.value}],
    }
    return EvidenceItem(SMS.name, sms.uuid, sms.status.value, facts, unique_files(files))
