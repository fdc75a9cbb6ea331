"""Evidence from what a wait or an event observed: the files and facts ``collect`` reads, with no API request.

A wait's ``WaitResult`` (and an event trigger's payload) holds, per item, each party's certificates (type,
URL, published SHA-256, ``confirmed_at``) and, for a signature request, its original and acta with their
hashes and the request's status (``waiting.observations``). When that describes an item fully,
``observed_item`` builds its ``EvidenceItem`` from it: only the downloads remain, verified against the
hashes as observed, and the manifest says so (``source``: ``from`` wait / event, ``observed_at``).

Otherwise it says why (no recipient listed, a certificate without its hash, a result written before the
observation held the request's status and hashes) and the archive reads the item's status, as for a bare id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_legallymail.contracts import Observed
from airflow_provider_legallymail.evidence.collect import (
    EvidenceFile,
    EvidenceItem,
    certificate_file,
    document_file,
    sms_file,
    unique_files,
)
from airflow_provider_legallymail.evidence.targets import Target
from airflow_provider_legallymail.kinds import EMAIL, SIGNATURE
from airflow_provider_legallymail.statuses import SignatureStatus, SmsStatus

MIXED = "mixed"
"""An email's status from a wait's result whose recipients differ (the API's group status is no aggregate)."""


class NotDescribed(Exception):
    """The observation does not describe the item fully: its status is read instead (the message says why)."""


def _times(party: Mapping[str, Any]) -> Mapping[str, Any]:
    times = party.get("times")
    return times if isinstance(times, Mapping) else {}


def _status(observed: Observed, parties: tuple[Mapping[str, Any], ...]) -> str:
    given = (observed.item or {}).get("status")
    if given:
        return str(given)
    statuses = {str(p.get("status")) for p in parties}
    return statuses.pop() if len(statuses) == 1 else MIXED


def _email(
    ident: str, observed: Observed, secret: str | None, expected: tuple[str, ...] = ()
) -> tuple[str, dict[str, Any], list[EvidenceFile | None]]:
    if not observed.parties:
        raise NotDescribed("it lists no recipient")
    listed = {str(p.get("who")).lower() for p in observed.parties}
    missing = [who for who in expected if who.lower() not in listed]
    if missing:  # a wait on some recipients (wait_recipients=, recipients=[...]) holds only theirs
        raise NotDescribed(f"it leaves out {', '.join(missing)}")
    files: list[EvidenceFile | None] = []
    recipients = []
    for party in observed.parties:
        who = str(party.get("who"))
        certificates = [c for c in party.get("certificates") or [] if isinstance(c, Mapping)]
        for cert in certificates:
            if cert.get("url") and not cert.get("hash"):
                raise NotDescribed(f"{who}'s {cert.get('type')} certificate has no hash")
            owner = str(party.get("tracking_id") or ident)
            files.append(
                certificate_file(
                    cert.get("url"), cert.get("hash"), cert.get("type"), owner, who, cert.get("confirmed_at"), secret
                )
            )
        times = _times(party)
        recipients.append(
            {
                "email": who,
                "tracking_id": party.get("tracking_id"),
                "status": party.get("status"),
                "sent_at": times.get("sent_at"),
                "delivered_at": times.get("delivered_at"),
                "read_at": times.get("read_at"),
                "error_details": party.get("reason"),
                "certificates": [c.get("type") for c in certificates],
            }
        )
    item = observed.item or {}
    facts = {"tracking_id": ident, **{k: item[k] for k in ("subject", "sent_at") if k in item}}
    return _status(observed, observed.parties), {**facts, "recipients": recipients}, files


def _signature(
    ident: str, observed: Observed, secret: str | None
) -> tuple[str, dict[str, Any], list[EvidenceFile | None]]:
    documents = observed.documents or {}
    item = observed.item or {}
    status = documents.get("status") or item.get("status")
    if not status or not documents.get("original") or not documents.get("document_hash"):
        raise NotDescribed("it holds no request status, original document or document_hash")
    signed = SignatureStatus.parse(str(status)) is SignatureStatus.SIGNED
    if signed and not (documents.get("acta") and documents.get("signed_document_hash")):
        raise NotDescribed("it holds no acta or signed_document_hash of the signed request")
    name = documents.get("document_name") or item.get("document_name")
    signers = [
        {"email": p.get("who"), "status": p.get("status"), "signed_at": _times(p).get("signed_at")}
        for p in observed.parties
    ]
    signed_at = max((str(s["signed_at"]) for s in signers if s["signed_at"]), default=None)
    files = [document_file("original", documents["original"], documents["document_hash"], name, secret)]
    if signed:
        files.append(
            document_file("acta", documents["acta"], documents["signed_document_hash"], name, secret, signed_at)
        )
    facts = {
        "uuid": ident,
        "document_name": name,
        "status": status,
        "signed_at": signed_at,
        "document_hash": documents["document_hash"],
        "signed_document_hash": documents.get("signed_document_hash"),
        "signers": signers,
    }
    return str(status), facts, files


def _sms(ident: str, observed: Observed, secret: str | None) -> tuple[str, dict[str, Any], list[EvidenceFile | None]]:
    if len(observed.parties) != 1:
        raise NotDescribed("it lists no phone")
    party = observed.parties[0]
    status, times = str(party.get("status")), _times(party)
    url = next((c.get("url") for c in party.get("certificates") or [] if isinstance(c, Mapping)), None)
    files: list[EvidenceFile | None] = []
    if SmsStatus.parse(status) is SmsStatus.DELIVERED:
        files.append(sms_file(url, str(party.get("who")), times.get("ts_confirmed_at"), secret))
    fields = ("sent_at", "delivered_at", "failed_at", "ts_confirmed_at")
    facts = {
        "uuid": ident,
        "status": status,
        **{f: times.get(f) for f in fields},
        "recipients": [{"phone": party.get("who"), "status": status}],
    }
    return status, facts, files


def observed_item(
    kind: str, ident: str, observed: Observed, secret: str | None = None, expected: tuple[str, ...] = ()
) -> EvidenceItem:
    """``ident``'s evidence as ``observed``; raises ``NotDescribed`` when the observation is not enough (for
    an email: a recipient in ``expected``, those the sender's summary lists, is not in it)."""
    if kind == EMAIL.name:
        status, facts, files = _email(ident, observed, secret, expected)
    else:
        status, facts, files = (_signature if kind == SIGNATURE.name else _sms)(ident, observed, secret)
    source = {"from": observed.source, "observed_at": observed.at}
    return EvidenceItem(kind, ident, status, facts, unique_files(files), source)


def from_observations(targets: list[Target], secret: str | None) -> tuple[dict[Target, EvidenceItem], list[str]]:
    """The items their observations describe fully; for every other target, ``"<kind> <id>: why"``."""
    known: dict[Target, EvidenceItem] = {}
    unknown: list[str] = []
    for target in targets:
        if target.observed is None:
            unknown.append(f"{target.kind} {target.id}: no wait result or event holds it")
            continue
        try:
            known[target] = observed_item(target.kind, target.id, target.observed, secret, target.parties)
        except NotDescribed as why:
            unknown.append(
                f"{target.kind} {target.id}: what the {target.observed.source} observed is not enough ({why})"
            )
    return known, unknown
