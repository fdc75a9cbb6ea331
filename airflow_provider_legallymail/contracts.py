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

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
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


class _OfItem(TypedDict, total=False):
    id: str  # in ``WaitResult["failures"]``: the item (tracking id, uuid) the party belongs to


class FailedParty(_OfItem):
    who: str
    reason: str
    status: str  # declined / expired / bounced / failed (the party's final status), or unknown (not a party)


class SettleTolerance(TypedDict):
    """A ``settled`` wait's tolerance, as asked (``waiting/tolerance.py``)."""

    settle_on: str  # the success that settles a party: delivered / read / signed
    max_failures: int | None  # at most this many parties may fail (None: any number)
    min_reached: float | None  # at least this share (0..1) must reach ``settle_on`` (None: no minimum)


class _WaitDetails(TypedDict, total=False):
    recipients: list[dict[str, Any]]  # email, SMS
    signers: list[dict[str, Any]]  # signature
    documents: dict[str, Any]  # signature: per uuid, its original and acta
    failed: FailedParty
    tolerance: SettleTolerance  # target "settled" only


OUTCOME_XCOM_KEY = "legallymail_outcome"
"""Every wait (sensor, ``wait_for=``) pushes its ``WaitResult`` under this XCom key before it ends: reached,
failed or timed out, so a ``trigger_rule="one_failed"`` / ``"all_done"`` task reads the outcome without a
request. A failure's exception (``OutcomeFailedError.result``, in ``context["exception"]`` of an
``on_failure_callback``) carries the same value."""


class WaitResult(_WaitDetails):
    """A finished wait: what the sensors and ``wait_for=`` return, and what every wait pushes under
    ``OUTCOME_XCOM_KEY`` whether it succeeded, failed or reached its deadline.

    - ``outcome``: ``reached``, ``failed`` (``failed`` says which party, why, and with which status:
      declined / expired / bounced / failed, or ``unknown`` for an address that is not a party), or
      ``timeout`` (the deadline came first: ``pending`` says who had no final outcome yet).
    - ``recipients`` (email, SMS) or ``signers`` (signature): each selected party the API lists, with ``who``,
      ``id`` (its item), ``status`` (as observed), its certificates and times, ``outcome`` (``reached``,
      ``pending``, or its failure status: declined / expired / bounced / failed) and ``outcome_reason`` (why
      it failed; None otherwise).
    - ``reached``: who reached the target (for ``settled``: ``settle_on``); ``failures``: who failed, with
      ``id``, ``status`` and ``reason``; ``pending``: who has no final outcome yet (a party no answer lists
      any more is named "... (no longer listed)").
    - ``tolerance``: the ``settled`` target's tolerance. A ``settled`` wait that succeeds may list failures:
      report and archive the ``reached`` ones.
    """

    kind: str
    ids: list[str]
    target: str  # delivered / read / signed / settled
    outcome: str  # reached / failed / timeout
    decided_at: str
    reached: list[str]
    failures: list[FailedParty]
    pending: list[str]


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
EVENT_ITEM_FIELDS = ("subject", "sent_at", "document_name", "created_at", "expires_at")


@dataclass(frozen=True)
class Observed:
    """What a wait's result or an event's payload shows of one item, as it was observed: its parties (each
    with ``who``, ``status`` and its certificates), its documents (signature), and the item's own fields."""

    source: str  # "wait" (a WaitResult) / "event" (an event trigger's payload)
    at: str | None  # when: the wait's ``decided_at``, the event's ``detected_at``
    parties: tuple[Mapping[str, Any], ...]
    documents: Mapping[str, Any] | None = None
    item: Mapping[str, Any] | None = None  # an event's: status, subject, document_name...


@dataclass(frozen=True)
class ItemRef:
    """One item a value names: its kind (None: the value does not tell), its id, its recipients when the
    value lists them, and what a wait or an event observed of it when the value holds that."""

    kind: str | None
    id: str
    parties: tuple[str, ...] = ()
    observed: Observed | None = dataclasses.field(default=None, compare=False, repr=False)


def _is_wait_result(value: Mapping[str, Any]) -> bool:
    return isinstance(value.get("ids"), list) and value.get("kind") is not None and "outcome" in value


def _in_wait_result(value: Mapping[str, Any]) -> list[ItemRef]:
    """A ``WaitResult`` (also a settled or failed one): each id with the parties and documents it observed."""
    kind = str(value["kind"])
    parties = [p for key in ("recipients", "signers") for p in value.get(key) or [] if isinstance(p, Mapping)]
    documents = value.get("documents")
    documents = documents if isinstance(documents, Mapping) else {}
    refs = []
    for ident in map(str, value["ids"]):
        own = tuple(p for p in parties if str(p.get("id")) == ident)
        observed = Observed("wait", value.get("decided_at"), own, documents.get(ident))
        known = tuple(str(p["who"]) for p in own if p.get("who")) if kind == "email" else ()
        refs.append(ItemRef(kind, ident, known, observed))
    return refs


def _in_event(value: Mapping[str, Any], kind: str) -> ItemRef:
    """An event trigger's ``OutcomeEvent`` payload: the item, its parties and documents when it was detected."""
    parties = tuple(p for key in ("recipients", "signers") for p in value.get(key) or [] if isinstance(p, Mapping))
    item = {"status": value.get("item_status"), **{f: value[f] for f in EVENT_ITEM_FIELDS if f in value}}
    documents = value.get("documents") if isinstance(value.get("documents"), Mapping) else None
    return ItemRef(kind, str(value["id"]), (), Observed("event", value.get("detected_at"), parties, documents, item))


def _recipients(send: Mapping[str, Any]) -> tuple[str, ...]:
    """The recipients an ``EmailSend`` lists."""
    return tuple(str(r["email"]) for r in send.get("recipients") or [] if isinstance(r, Mapping) and r.get("email"))


def _with_wait(refs: list[ItemRef], wait: Any) -> list[ItemRef]:
    """A sending operator's refs, with what its ``wait_for=`` wait observed of each (when it holds a result)."""
    if not isinstance(wait, Mapping) or not _is_wait_result(wait):
        return refs
    seen = {(r.kind, r.id): r.observed for r in _in_wait_result(wait)}
    return [replace(r, observed=seen.get((r.kind, r.id))) for r in refs]


def _in_mapping(value: Mapping[str, Any], kind: str | None) -> list[ItemRef]:
    """The items one return value (or asset event payload) names; [] when it names none."""
    if value.get("from_trigger") and isinstance(value.get("payload"), Mapping):  # an event trigger's asset event
        return _in_mapping(value["payload"], kind)
    if _is_wait_result(value):  # WaitResult
        return _in_wait_result(value)
    if value.get("parent_tracking_ids") or value.get("sends"):  # EmailSendSummary
        sends = [s for s in value.get("sends") or [] if isinstance(s, Mapping)]
        ids = value.get("parent_tracking_ids") or [s.get("tracking_id") for s in sends]
        known = tuple(str(e) for e in (value.get("tracking_ids") or {}))
        per_send = {str(s.get("tracking_id")): _recipients(s) for s in sends}  # a split send's own recipients
        return _with_wait([ItemRef("email", str(i), per_send.get(str(i)) or known) for i in ids], value.get("wait"))
    declared = value.get("kind") or kind
    if "id" in value and declared:  # OutcomeEvent, ArchiveSummary, {kind, id}
        if "detected_at" in value and "event_id" in value:  # OutcomeEvent
            return [_in_event(value, str(declared))]
        return [ItemRef(str(declared), str(value["id"]))]
    if value.get("tracking_id"):  # EmailSend
        return _with_wait([ItemRef("email", str(value["tracking_id"]), _recipients(value))], value.get("wait"))
    if value.get("uuid"):  # SignatureSend / SmsSend
        keys = set(value)
        guessed = "signature" if keys & SIGNATURE_KEYS else "sms" if keys & SMS_KEYS else None
        return _with_wait([ItemRef(declared or guessed, str(value["uuid"]))], value.get("wait"))
    return []


def _leaves(value: Any) -> Iterator[Any]:
    """Each id (a string) or return value (a mapping) in ``value``: lists (a mapped task's results too),
    comma-separated ids, values rendered by Jinja, asset events (their ``extra``)."""
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
    elif isinstance(value, Sequence) and not isinstance(value, bytes):  # a list; a mapped task's results
        for element in value:
            yield from _leaves(element)
    elif value is not None:
        yield value  # not an id: item_refs says so


def item_refs(value: Any, kind: str | None, field: str, *, only: str | None = None) -> list[ItemRef]:
    """Every item ``value`` names, in order, as given (not de-duplicated).

    ``value``: an id, a list of ids, comma-separated ids, or return values (``EmailSendSummary``,
    ``EmailSend``, ``SignatureSend``, ``SmsSend``, with ``wait_for=``'s ``wait`` or not; a ``WaitResult``, a
    list of them from mapped sensors), asset events or their payloads. A bare id is of ``kind`` (None when
    unknown). ``only``: a return value naming no item of that kind fails, naming ``field``. A wait's result
    and an event's payload also give, per item, what was ``observed`` of it (the archive needs no request).
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
