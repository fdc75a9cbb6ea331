"""What one poll saw, as plain JSON: an email's recipients, a signature's signers, an SMS.

Observations are built from the hook's typed results, so the poking sensor, the trigger's poller and
``wait_for=`` read the API identically. They are JSON so they travel in trigger events and XCom, and they
keep what a downstream task needs: per-party status, reason, timestamps and certificate URLs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from pendulum import DateTime

from airflow_provider_legallymail.address_logging import masked
from airflow_provider_legallymail.kinds import EMAIL, KINDS, SIGNATURE, SMS
from airflow_provider_legallymail.models.legallymail import Certificate, Email, EmailRecipient, SignatureRequest, Sms
from airflow_provider_legallymail.statuses import EmailStatus

Observation = dict[str, Any]
_EMAIL_ORDER = (EmailStatus.SENT, EmailStatus.DELIVERED, EmailStatus.READ)


def _iso(value: DateTime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _epoch(value: DateTime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _certificate(cert: Certificate) -> dict[str, Any]:
    return {
        "type": cert.certificate_type,
        "url": cert.pdf_download_url,
        "hash": cert.file_hash,
        "confirmed_at": _iso(cert.confirmed_at),
    }


def effective_email_status(status: EmailStatus, certificate_types: list[str | None]) -> EmailStatus:
    """The furthest of the status and the certificates: a ``read`` certificate proves delivery too.

    A read recipient may list only its ``read`` certificate (the documented example) or both: either
    proves the same, and a certificate newer than the status counts.
    """
    if status.is_failure:
        return status
    rank = {stage: i for i, stage in enumerate(_EMAIL_ORDER)}
    best = status
    for kind in certificate_types:
        stage = EmailStatus.parse(kind)
        if stage in rank and rank[stage] > rank.get(best, -1):
            best = stage
    return best


def _recipient(r: EmailRecipient | Email, who: str) -> dict[str, Any]:
    status = effective_email_status(r.status, [c.certificate_type for c in r.certificates])
    details = [r.raw.get("error_status"), r.error_details]
    reason = ": ".join(dict.fromkeys(str(d) for d in details if d)) or None
    return {
        "who": who,
        "status": status.value,
        "reason": reason,
        "tracking_id": r.tracking_id,
        "times": {"sent_at": _iso(r.sent_at), "delivered_at": _iso(r.delivered_at), "read_at": _iso(r.read_at)},
        "certificates": [_certificate(c) for c in r.certificates],
    }


def email_observation(email: Email) -> Observation:
    """``GET /api/email``: one party per recipient (a single-recipient email is its own recipient)."""
    expected = max(email.recipient_count or 0, 1)
    if email.recipients:
        parties = [_recipient(r, r.email.lower()) for r in email.recipients]
    elif email.is_multi_recipient or expected > 1:  # a group listing no recipient: its status proves nothing
        parties = []
    else:
        parties = [_recipient(email, (email.recipient or email.tracking_id).lower())]
    return {
        "kind": EMAIL.name,
        "id": email.tracking_id,
        "status": email.status.value,
        "parties": parties,
        "expected_parties": expected,  # recipients the email has (``recipient_count``); fewer listed: not proof
        "subject": email.subject,
        "sent_at": _iso(email.sent_at or email.created_at),
    }


def signature_observation(request: SignatureRequest) -> Observation:
    """``GET /api/signature``: one party per signer; the request's own outcome is kept beside them."""
    signers = request.signers or []
    parties: list[dict[str, Any]] = [
        {
            "who": (s.signer_email or s.signer_name or f"signer {i + 1}").lower(),
            "status": s.status.value,
            "reason": None,
            "times": {"signed_at": _iso(s.signed_at)},
            "certificates": [],
        }
        for i, s in enumerate(signers)
    ]
    if not parties:
        parties = [
            {
                "who": (request.signer_email or request.uuid).lower(),
                "status": request.status.value,
                "reason": None,
                "times": {"signed_at": _iso(request.signed_at)},
                "certificates": [],
            }
        ]
    declined_at = request.raw.get("declined_at")
    return {
        "kind": SIGNATURE.name,
        "id": request.uuid,
        "status": request.status.value,
        "expires_at": _epoch(request.expires_at),
        "expires_at_text": _iso(request.expires_at),
        "declined_at": str(declined_at) if declined_at else None,
        "parties": parties,
        "document_name": request.document_name,
        "created_at": _iso(request.created_at),
        "signed_at": _iso(request.signed_at),
        "documents": {  # what the archive needs (``evidence.observed``): the files, their hashes, the status
            "original": request.download_original_url,
            "document_hash": request.document_hash,
            "acta": request.download_acta_url,
            "signed_document_hash": request.signed_document_hash,
            "status": request.status.value,
            "document_name": request.document_name,
        },
    }


def sms_observation(sms: Sms) -> Observation:
    certificates = [{"type": "sms", "url": sms.download_certificate_url, "hash": None, "confirmed_at": None}]
    return {
        "kind": SMS.name,
        "id": sms.uuid,
        "status": sms.status.value,
        "sent_at": _iso(sms.sent_at),
        "parties": [
            {
                "who": sms.recipient or sms.uuid,
                "status": sms.status.value,
                "reason": "the SMS could not be delivered" if sms.status.is_failure else None,
                "times": {
                    "sent_at": _iso(sms.sent_at),
                    "delivered_at": _iso(sms.delivered_at),
                    "failed_at": _iso(sms.failed_at),
                    "ts_confirmed_at": _iso(sms.ts_confirmed_at),
                },
                "certificates": certificates if sms.download_certificate_url else [],
            }
        ],
    }


OBSERVE: dict[str, Callable[[Any], Observation]] = {
    EMAIL.name: email_observation,
    SIGNATURE.name: signature_observation,
    SMS.name: sms_observation,
}
"""Per kind: its observation, from what its hook method (``Kind.get``) returns."""


def fetch_observation(hook: Any, kind: str, ident: str) -> Observation:
    """One ``GET`` through the hook (its client, retries and budget), as an observation."""
    return OBSERVE[kind](getattr(hook, KINDS[kind].get)(ident))


def row_fingerprint(row: Email | SignatureRequest) -> tuple[Any, ...] | None:
    """What a list row proves about a single-party item, or None when the row proves nothing.

    ``GET /api/emails`` keeps a multi-recipient email's status ``pending`` whatever its recipients do, so
    only single-recipient rows prove a status. Signature rows carry the first signer only: the poller uses
    them only for requests whose detail showed a single signer.
    """
    if isinstance(row, Email):
        if row.is_multi_recipient or (row.recipient_count or 1) > 1:
            return None
        return (row.status.value, _iso(row.read_at), row.error_status)
    return (row.status.value, _iso(row.signed_at))


def unlisted_count(observation: Observation) -> int:
    """How many of its parties an answer leaves out (an email listing fewer recipients than it has)."""
    return max(0, int(observation.get("expected_parties") or 0) - len(observation["parties"]))


def observation_fingerprint(observation: Observation) -> tuple[Any, ...]:
    """What to compare to tell whether anything a waiter cares about changed."""
    return (
        *tuple(
            (p["who"], p["status"], p.get("reason"), len(p.get("certificates") or ())) for p in observation["parties"]
        ),
        observation["status"],
    )


def is_settled(observation: Observation) -> bool:
    """Nothing in it can change any more (every party terminal): the poller stops polling it."""
    statuses = KINDS[observation["kind"]].status
    if observation["kind"] == SIGNATURE.name and statuses.parse(observation["status"]).is_terminal:
        return True
    if unlisted_count(observation):
        return False  # a recipient the answer no longer lists may come back
    return all(statuses.parse(p["status"]).is_terminal for p in observation["parties"])


def describe_changes(before: Observation | None, after: Observation, show: bool = False) -> list[str]:
    """Log lines for the parties whose status changed (all of them on first sight).

    ``show`` (``log_addresses=True``): one line per party, naming it. Otherwise one line per item with the
    count of each new status, naming only the parties that failed, masked (``address_logging``).
    """
    old = {p["who"]: p["status"] for p in (before or {}).get("parties", [])}
    changed = [p for p in after["parties"] if old.get(p["who"]) != p["status"]]
    if not changed:
        return []
    if not show:
        counts = Counter(str(p["status"]) for p in changed)
        kind = KINDS[after["kind"]]
        failed = [p for p in changed if kind.status.parse(p["status"]).is_failure]
        named = "; ".join(f"{masked(str(p['who']))} {p['status']}" + _reason(p) for p in failed)
        tally = ", ".join(f"{n} {status}" for status, n in counts.items())
        return [
            f"{after['kind']} {after['id']}: {len(changed)} {kind.parties} now {tally}"
            + (f" ({named})" if named else "")
        ]
    lines = []
    for party in changed:
        was = f"{old[party['who']]} -> " if party["who"] in old else ""
        lines.append(f"{after['kind']} {after['id']}: {party['who']} {was}{party['status']}{_reason(party)}")
    return lines


def _reason(party: Mapping[str, Any]) -> str:
    return f" ({party['reason']})" if party.get("reason") else ""
