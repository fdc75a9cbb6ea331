"""What the provider's tasks return (their XCom), as typed contracts, and the one reader of the ids in them.

A DAG passes these values from task to task: a sending operator's summary to a sensor, a sensor's (or an
event trigger's) result to ``ArchiveEvidenceOperator``. They are plain JSON; the ``TypedDict``s below say
which keys each holds, and ``item_refs`` is the only code that reads ids back out of them.

- ``SendCertifiedEmailOperator`` returns ``EmailSendSummary`` (one ``EmailSend`` per certified email sent);
  ``SignatureRequestOperator`` ``SignatureSend``; ``SmsOperator`` ``SmsSend``. With ``wait_for=`` the
  summary also holds the wait's ``WaitResult`` under ``"wait"``.
- The sensors (and ``wait_for=``) return a ``WaitResult``; the event triggers' asset events carry an
  ``OutcomeEvent`` (``kind`` + ``id``); ``ArchiveEvidenceOperator`` returns ``ArchiveRun``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from airflow_provider_legallymail.validation import fail, parse_rendered


class EmailRecipientSummary(TypedDict):
    email: str | None
    tracking_id: str | None
    status: str
    error_details: str | None


class _Adoptable(TypedDict, total=False):
    adopted: bool  # an earlier try sent it; nothing new went out (the deliverer adds it)


class _Waited(TypedDict, total=False):
    wait: WaitResult  # with ``wait_for=``: the wait's outcome


class EmailSend(_Adoptable):
    """One certified email that went out (a split send has several)."""

    tracking_id: str
    subject: str | None
    sent_at: str | None
    status: str  # sent / partial / failed (or the adopted email's own status)
    recipients: list[EmailRecipientSummary]
    success_count: int
    fail_count: int


class EmailSendSummary(_Waited):
    """``SendCertifiedEmailOperator``'s return value."""

    sends: list[EmailSend]
    tracking_ids: dict[str, str]  # recipient -> its tracking id
    parent_tracking_ids: list[str]  # one per certified email sent
    status: str


class _Resent(TypedDict, total=False):
    requests: list[dict[str, Any]]  # every request the task made, in order (re-sends on expiry), each a SignatureSend


class SignatureSend(_Adoptable, _Waited, _Resent):
    """``SignatureRequestOperator``'s return value: its last request (the only one without re-sends)."""

    uuid: str
    status: str
    document_name: str | None
    signer_email: str | None
    created_at: str | None


class SmsSend(_Adoptable, _Waited):
    """``SmsOperator``'s return value."""

    uuid: str
    status: str
    phone: str
    credits_deducted: int | None


class FailedParty(TypedDict):
    who: str
    reason: str
    status: str  # declined / expired / bounced / failed (the party's final status), or unknown (not a party)


class _WaitDetails(TypedDict, total=False):
    recipients: list[dict[str, Any]]  # email, SMS
    signers: list[dict[str, Any]]  # signature
    documents: dict[str, Any]  # signature: per uuid, its original and acta
    failed: FailedParty


class WaitResult(_WaitDetails):
    """A finished wait: what the sensors and ``wait_for=`` return. Its parties are under ``recipients``
    or ``signers``, each with ``who``, ``status``, ``id`` and its certificates."""

    kind: str
    ids: list[str]
    target: str
    outcome: str  # reached / failed
    decided_at: str


class _EventDetails(TypedDict, total=False):
    result: WaitResult
    who: str
    reason: str
    message: str
    carry: Any


class WaitEvent(_EventDetails):
    """What ``LegallyMailWaitTrigger`` fires: ``reached`` / ``failed`` (with ``result``), ``timeout`` or
    ``error`` (with ``message``); ``carry`` echoes the trigger's ``carry``."""

    status: str


class OutcomeEvent(TypedDict, total=False):
    """The payload of an event trigger's asset event: one (item, status) reached. ``tracking_id`` (email) or
    ``uuid`` repeats ``id``; ``recipients`` or ``signers`` hold the parties; the rest depends on the kind."""

    kind: str
    id: str
    tracking_id: str
    uuid: str
    status: str
    event_id: str
    item_status: str
    reached_at: str | None
    detected_at: str
    recipients: list[dict[str, Any]]
    signers: list[dict[str, Any]]
    certificates: list[dict[str, Any]]
    legallymail_conn_id: str


class ArchiveSummary(TypedDict):
    """One archived item."""

    kind: str
    id: str
    status: str
    statuses: Any
    location: str
    manifest: str
    files: dict[str, str]  # file name -> sha256
    downloaded: int
    already_present: int


class ArchiveRun(TypedDict):
    """``ArchiveEvidenceOperator``'s return value."""

    archives: list[ArchiveSummary]
    downloaded: int
    already_present: int


# -- reading ids back ------------------------------------------------------------------------------------------
SIGNATURE_KEYS = frozenset({"document_name", "signer_email", "signers", "document_hash"})
SMS_KEYS = frozenset({"phone", "credits_deducted", "credits", "ts_confirmed_at"})


@dataclass(frozen=True)
class ItemRef:
    """One item a value names: its kind (None: the value does not tell), its id, and its recipients when
    the sending operator's summary lists them."""

    kind: str | None
    id: str
    parties: tuple[str, ...] = ()


def _in_mapping(value: Mapping[str, Any], kind: str | None) -> list[ItemRef]:
    """The items one return value (or asset event payload) names; [] when it names none."""
    if value.get("from_trigger") and isinstance(value.get("payload"), Mapping):  # an event trigger's asset event
        return _in_mapping(value["payload"], kind)
    if value.get("parent_tracking_ids") or value.get("sends"):  # EmailSendSummary
        sends = value.get("sends") or []
        ids = value.get("parent_tracking_ids") or [s.get("tracking_id") for s in sends]
        known = tuple(str(e) for e in (value.get("tracking_ids") or {}))
        return [ItemRef("email", str(i), known) for i in ids]
    declared = value.get("kind") or kind
    if "id" in value and declared:  # OutcomeEvent, ArchiveSummary, {kind, id}
        return [ItemRef(str(declared), str(value["id"]))]
    if value.get("tracking_id"):  # EmailSend
        recipients = tuple(str(r.get("email")) for r in value.get("recipients") or [] if isinstance(r, Mapping))
        return [ItemRef("email", str(value["tracking_id"]), recipients)]
    if value.get("uuid"):  # SignatureSend / SmsSend
        keys = set(value)
        guessed = "signature" if keys & SIGNATURE_KEYS else "sms" if keys & SMS_KEYS else None
        return [ItemRef(declared or guessed, str(value["uuid"]))]
    return []


def _leaves(value: Any) -> Iterator[Any]:
    """Each id (a string) or return value (a mapping) in ``value``: lists, comma-separated ids, values
    rendered by Jinja, asset events (their ``extra``)."""
    if isinstance(value, str):
        parsed = parse_rendered(value)  # a list or dict rendered by Jinja from XCom
        if parsed is not None:
            yield from _leaves(parsed)
        elif "," in value:
            yield from (part.strip() for part in value.split(",") if part.strip())
        else:
            yield value
    elif isinstance(value, Mapping):
        yield value
    elif isinstance(getattr(value, "extra", None), Mapping):  # an AssetEvent from triggering_asset_events
        yield value.extra
    elif isinstance(value, list | tuple):
        for element in value:
            yield from _leaves(element)
    elif value is not None:
        yield value  # not an id: item_refs says so


def item_refs(value: Any, kind: str | None, field: str, *, only: str | None = None) -> list[ItemRef]:
    """Every item ``value`` names, in order, as given (not de-duplicated).

    ``value``: an id, a list of ids, comma-separated ids, or return values (``EmailSendSummary``,
    ``EmailSend``, ``SignatureSend``, ``SmsSend``, ``WaitResult``'s ids are not read: pass the sender's value),
    asset events or their payloads. A bare id is of ``kind`` (None when unknown). ``only``: a return value
    naming no item of that kind fails, naming ``field``.
    """
    found: list[ItemRef] = []
    for leaf in _leaves(value):
        if isinstance(leaf, str):
            found.append(ItemRef(kind, leaf.strip()))
            continue
        if not isinstance(leaf, Mapping):
            what = type(leaf).__name__
            raise fail(field, f"expected an id, a list of ids or an operator's return value, got {what}")
        refs = _in_mapping(leaf, only or kind)
        if only is not None:
            refs = [r for r in refs if r.kind == only]
            if not refs:
                raise fail(field, f"this mapping names no {only} (keys: {', '.join(sorted(map(str, leaf)))})")
        if not refs:
            raise fail(
                field,
                f"a mapping with keys {sorted(map(str, leaf))} names nothing to archive: expected a sending "
                "operator's return value, or tracking_id / uuid / {kind, id}",
            )
        found += refs
    return found
