"""The decision: observations + spec + now -> Reached / Failed / Pending, and what a task does on it.

The one decision of every wait: observations + spec + now -> Reached / Failed(who, reason, status) / Pending.

Pure: no I/O, no clock of its own. The poking sensor, reschedule mode, the trigger and ``wait_for=`` all
call ``decide``, so they agree on the same status sequences. It reads per-recipient and per-signer
statuses only: a multi-recipient email's own status stays ``pending`` while its recipients are read
(the documented example), so it is never used.

| kind      | target    | a party has reached it when       | a party has failed when                              |
|-----------|-----------|-----------------------------------|------------------------------------------------------|
| email     | delivered | delivered or read (certificates count) | failed or bounced (a soft bounce stays delivered) |
| email     | read      | read (a ``read`` certificate counts)   | failed or bounced                                 |
| signature | signed    | signed                            | declined, expired, or unsigned past ``expires_at``   |
| sms       | delivered | delivered                         | failed                                               |

``all`` (or a list of addresses) is reached when every selected party has reached the target and fails
as soon as one of them fails; ``any`` is reached by the first and fails only when all have failed.

Contradictions never decide a success. An answer that lists fewer recipients than the email has (a
recipient the send returned vanishes, or the list is empty while the group says ``read``) proves nothing
toward success: no party of it counts as reached, and a missing one is waited for (the deadline's message
names it); a failure it shows still fails. A signer reported ``signed`` in a request whose own status is
``declined`` or ``expired`` has not reached ``signed``: the wait fails, saying so.

From a decision to what the task does: the event a trigger fires, and how the task ends on it.

``event_for`` is called by the trigger and by a poke alike; ``finish`` turns an event into the task's
return value or its exception, for sensors (``execute_complete`` and after poking) and for ``wait_for=``.
A failure raises ``OutcomeFailedError`` (never retried, never skipped); only a deadline reached is a
timeout, which ``soft_fail`` turns into a skip.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, cast

from airflow_provider_legallymail.address_logging import in_text
from airflow_provider_legallymail.compat import AirflowFailException, AirflowSensorTimeout, AirflowSkipException
from airflow_provider_legallymail.contracts import OUTCOME_XCOM_KEY, FailedParty, SettleTolerance, WaitResult
from airflow_provider_legallymail.evidence.collect import public_url
from airflow_provider_legallymail.evidence.links import ACTA, ORIGINAL, evidence_label, link_entries
from airflow_provider_legallymail.exceptions import MailApiError, OutcomeFailedError, RefusedError
from airflow_provider_legallymail.kinds import EMAIL, KINDS, SMS
from airflow_provider_legallymail.statuses import EmailStatus, SignatureStatus, SmsStatus
from airflow_provider_legallymail.waiting.observations import Observation, unlisted_count
from airflow_provider_legallymail.waiting.tolerance import Tolerance
from airflow_provider_legallymail.waiting.wait import WaitSpec

EXPIRY_GRACE = 60.0
"""Seconds past ``expires_at`` before an unsigned signer counts as expired (clock skew with the API)."""


@dataclass(frozen=True)
class Reached:
    pass


@dataclass(frozen=True)
class Failed:
    who: str
    reason: str
    status: str = "failed"
    """What ended it: ``declined``, ``expired``, ``bounced``, ``failed`` (a party's final status), or
    ``unknown`` (a selected party the item does not have)."""


@dataclass(frozen=True)
class Pending:
    waiting_for: tuple[str, ...]


Decision = Reached | Failed | Pending


REACHED, PENDING = "reached", "pending"
Outcome = tuple[str, str]
"""One party's outcome: ``("reached", "reached")``, or the status that ended it (``failed``, ``bounced``,
``declined``, ``expired``) and why; None while it is pending."""


def _failed(status: str, party: Mapping[str, Any]) -> Outcome:
    return status, status + (f" ({party['reason']})" if party.get("reason") else "")


def party_outcome(
    kind: str, target: str, observation: Observation, party: Mapping[str, Any], now: float
) -> Outcome | None:
    """Where one party of ``observation`` stands toward ``target`` (a failure does not depend on it)."""
    status = party["status"]
    if kind == EMAIL.name:
        email = EmailStatus.parse(status)
        if email.is_failure:
            return _failed(email.value, party)
        return (REACHED, REACHED) if email.reached(EmailStatus(target)) else None
    if kind == SMS.name:
        sms = SmsStatus.parse(status)
        if sms.is_failure:
            return _failed(sms.value, party)
        return (REACHED, REACHED) if sms.is_success else None
    return _signer_outcome(observation, SignatureStatus.parse(status), now)


SIGNED_BUT_DECLINED = "signed, but another signer declined the request: it will never be signed"
CANNOT_SIGN = "cannot sign any more: another signer declined the request"
BY_ANOTHER = frozenset({SIGNED_BUT_DECLINED, CANNOT_SIGN})
"""Failures a party did not cause: another signer's decline ended the request. A failure names the decliner first."""


def _signer_outcome(observation: Observation, signer: SignatureStatus, now: float) -> Outcome | None:
    request = SignatureStatus.parse(observation["status"])
    declined = "declined"
    if signer.is_success and request.is_failure:
        if any(SignatureStatus.parse(p["status"]) is SignatureStatus.DECLINED for p in observation["parties"]):
            return declined, SIGNED_BUT_DECLINED
        reason = f"is reported signed, but the request is {request.value}: a contradiction, no proof of a signature"
        return request.value, reason
    if signer.is_success:
        return REACHED, REACHED
    expires_at = observation.get("expires_at")
    expired = signer is SignatureStatus.EXPIRED or request is SignatureStatus.EXPIRED
    if expires_at is not None and now > float(expires_at) + EXPIRY_GRACE:
        expired = True
    if signer is SignatureStatus.DECLINED:
        at = observation.get("declined_at")
        return declined, "declined to sign" + (f" at {at}" if at else "")
    if request is SignatureStatus.DECLINED:
        return declined, CANNOT_SIGN
    if expired:
        when = observation.get("expires_at_text")
        return "expired", "did not sign before the request expired" + (f" at {when}" if when else "")
    return None


@dataclass(frozen=True)
class Tally:
    """Where each selected party stands: per answer (``listed``, for the result) and per party (the decision)."""

    listed: list[tuple[str, dict[str, Any], Outcome | None]]  # (id, party, outcome) of each selected party listed
    outcomes: dict[str, Outcome | None]  # who -> outcome (None: pending), parties no answer lists any more too
    gone: list[str]  # expected, and no answer lists it any more
    complete: bool  # every id has been observed
    strangers: list[str]  # selected addresses that are not parties of the items (once complete)

    @property
    def failures(self) -> list[tuple[str, str, str]]:
        """``(who, reason, status)`` of each failed party; those who failed by their own outcome (a signer who
        declined) before those another party's outcome failed (the other signers of a declined request)."""
        failed = [(who, o[1], o[0]) for who, o in self.outcomes.items() if o is not None and o[0] != REACHED]
        return sorted(failed, key=lambda failure: failure[1] in BY_ANOTHER)

    @property
    def reached(self) -> list[str]:
        return [who for who, o in self.outcomes.items() if o is not None and o[0] == REACHED]

    @property
    def pending(self) -> tuple[str, ...]:
        """Who has no outcome yet; a recipient no answer lists any more is named "... (no longer listed)"."""
        gone = set(self.gone)
        return tuple(
            f"{who} (no longer listed)" if who in gone and "@" in who else who
            for who, o in self.outcomes.items()
            if o is None
        )


def tally(spec: WaitSpec, observations: Mapping[str, Observation | None], now: float) -> Tally:
    """Each selected party's outcome toward ``spec.success`` given the latest observation of each id."""
    seen = [(ident, o) for ident in spec.ids if (o := observations.get(ident)) is not None]
    complete = len(seen) == len(spec.ids)
    listed: list[tuple[str, dict[str, Any], Outcome | None]] = []
    outcomes: dict[str, Outcome | None] = {}
    for ident, observation in seen:
        proves = not unlisted_count(observation)  # an answer missing parties proves no success
        for party in observation["parties"]:
            found = party_outcome(spec.kind, spec.success, observation, party, now)
            found = None if found is not None and found[0] == REACHED and not proves else found
            outcomes[party["who"]] = found
            listed.append((ident, party, found))
    gone = _unlisted(spec, [o for _, o in seen], outcomes) if complete else []
    outcomes.update(dict.fromkeys(gone))  # expected, and no answer lists it any more: not reached
    strangers: list[str] = []
    if isinstance(spec.selection, tuple):
        strangers = [who for who in spec.selection if who not in outcomes] if complete else []
        outcomes = {who: outcomes[who] for who in spec.selection if who in outcomes}
        listed = [entry for entry in listed if entry[1]["who"] in spec.selection]
    return Tally(listed, outcomes, gone, complete, strangers)


def decide(spec: WaitSpec, observations: Mapping[str, Observation | None], now: float) -> Decision:
    """The state of the wait given the latest observation of each id (None: not seen yet)."""
    found = tally(spec, observations, now)
    if found.strangers:
        noun = KINDS[spec.kind].party
        return Failed(found.strangers[0], f"is not a {noun} of {spec.kind} {', '.join(spec.ids)}", "unknown")
    if spec.tolerance is not None:
        return _settled(spec.tolerance, found)
    failures, reached, pending = found.failures, found.reached, found.pending
    if spec.selection == "any":
        if reached:
            return Reached()
        if found.complete and failures and not pending:
            return _together(failures)
        return Pending(pending)
    if failures:
        return Failed(*failures[0])
    if found.complete and found.outcomes and not pending and len(reached) == len(found.outcomes):
        return Reached()
    return Pending(pending)


def _settled(tolerance: Tolerance, found: Tally) -> Decision:
    """Reached once every party is final within the tolerance; Failed as soon as it can no longer be met."""
    failures, reached, pending = found.failures, found.reached, found.pending
    limit = tolerance.max_failures
    if limit is not None and len(failures) > limit:
        return _together(failures, f"failed beyond the tolerance ({len(failures)} failed, max_failures={limit})")
    total = len(found.outcomes)
    needed = tolerance.needed(total)
    if found.complete and len(reached) + len(pending) < needed:
        can = f"at most {len(reached) + len(pending)} of {total} can reach {tolerance.settle_on}"
        why = f"{can}, min_reached={tolerance.min_reached:g} needs {needed}"
        return _together(failures, f"failed beyond the tolerance ({why})")
    if found.complete and found.outcomes and not pending:
        return Reached()
    return Pending(pending)


NAMED_FAILURES = 10
"""How many failed parties a failure names (its message, ``WaitResult["failed"]``); ``failures`` lists all."""


def _together(failures: list[tuple[str, str, str]], why: str = "") -> Failed:
    """One failure naming the failed parties (the first ``NAMED_FAILURES``); its status is theirs when they
    agree (all expired: ``expired``), else the first that is not an expiry."""
    statuses = list(dict.fromkeys(status for _, _, status in failures))
    named = failures[:NAMED_FAILURES]
    more = f" and {len(failures) - len(named)} more" if len(failures) > len(named) else ""
    each = "; ".join(f"{who}: {reason}" for who, reason, _ in named) + more
    return Failed(
        ", ".join(who for who, _, _ in named) + more,
        f"{why}: {each}" if why else each,
        statuses[0] if len(statuses) == 1 else next(s for s in statuses if s != "expired"),
    )


def reached_statuses(observation: Observation, now: float) -> list[str]:
    """Every event status of its kind (``Kind.event_statuses``) the observed item has reached, in order: what
    the event triggers announce, from the same party outcomes as ``decide``.

    A failed party ends the item: its failure statuses (the first, for a kind with one outcome). Otherwise a
    target is reached when ``decide`` says so for every party of the item.
    """
    kind = KINDS[observation["kind"]]
    failures = []
    parties = observation["parties"]
    if not parties and kind.one_outcome:  # no party listed: the item's own status (a request's expiry) tells
        parties = [{"who": observation["id"], "status": observation["status"]}]
    for party in parties:
        found = party_outcome(kind.name, kind.targets[0], observation, party, now)
        if found is not None and found[0] != REACHED:
            failures.append(found[0])
    if failures:
        return (
            [next(s for s in kind.event_statuses if s in failures)] if kind.one_outcome else [*dict.fromkeys(failures)]
        )
    ident = observation["id"]
    return [
        target
        for target in kind.targets
        if isinstance(
            decide(WaitSpec(kind.name, (ident,), target, "all", math.inf), {ident: observation}, now), Reached
        )
    ]


def _unlisted(spec: WaitSpec, seen: list[Observation], listed: Mapping[str, Any]) -> list[str]:
    """Parties the send returned (or the answers count) that no answer lists any more, as the wait names them."""
    missing = [who for who in spec.known_parties if who not in listed]
    short = sum(unlisted_count(o) for o in seen) - len(missing)
    if short > 0:
        missing.append(f"{short} {KINDS[spec.kind].party}(s) the answer leaves out")
    return missing


OUTCOMES: dict[type, str] = {Reached: "reached", Failed: "failed", Pending: "timeout"}
"""``WaitResult["outcome"]`` for each decision (a result of a pending wait is made at its deadline)."""


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def result(
    spec: WaitSpec, observations: Mapping[str, Observation | None], decision: Decision, now: float
) -> WaitResult:
    """The JSON value of a finished wait (reached, failed, or pending at the deadline): every selected party
    with its evidence and its outcome, and who reached, failed and is still pending (``contracts.WaitResult``)."""
    found = tally(spec, observations, now)
    parties = []
    reached: list[str] = []
    failures: list[FailedParty] = []
    for ident, party, outcome in found.listed:
        status, reason = outcome if outcome is not None else (PENDING, None)
        parties.append(
            {**party, "id": ident, "outcome": status, "outcome_reason": None if status == REACHED else reason}
        )
        if status == REACHED:
            reached.append(party["who"])
        elif status != PENDING:
            failures.append({"who": party["who"], "id": ident, "status": status, "reason": str(reason)})
    documents = {}
    for ident in spec.ids:
        observation = observations.get(ident)
        if observation is not None and observation.get("documents"):
            documents[ident] = observation["documents"]
    out: WaitResult = {
        "kind": spec.kind,
        "ids": list(spec.ids),
        "target": spec.target,
        "outcome": OUTCOMES[type(decision)],
        "decided_at": _iso(now),
        "reached": reached,
        "failures": failures,
        "pending": list(found.pending),
    }
    out["signers" if KINDS[spec.kind].parties == "signers" else "recipients"] = parties
    if spec.tolerance is not None:
        out["tolerance"] = cast(SettleTolerance, spec.tolerance.to_json())
    if documents:
        out["documents"] = documents
    if isinstance(decision, Failed):
        out["failed"] = {"who": decision.who, "reason": decision.reason, "status": decision.status}
    return out


REACHED, FAILED, TIMEOUT, ERROR = "reached", "failed", "timeout", "error"


def event_for(spec: WaitSpec, observations: Mapping[str, Observation | None], now: float) -> dict[str, Any] | None:
    """The trigger event for the current state, or None while pending and before the deadline."""
    decision: Decision = decide(spec, observations, now)
    if isinstance(decision, Pending):
        if now < spec.deadline:
            return None
        when = datetime.fromtimestamp(spec.deadline, timezone.utc).isoformat()
        waiting = f" (still waiting for {', '.join(decision.waiting_for)})" if decision.waiting_for else ""
        message = f"deadline {when} reached before {spec.describe()}{waiting}"
        return {"status": TIMEOUT, "message": message, "result": result(spec, observations, decision, now)}
    out = result(spec, observations, decision, now)
    if isinstance(decision, Failed):
        return {"status": FAILED, "who": decision.who, "reason": decision.reason, "result": out}
    return {"status": REACHED, "result": out}


def error_event(exc: BaseException) -> dict[str, Any]:
    """A wait that cannot succeed whatever happens next (unknown id, bad token): fail, don't skip."""
    text = str(exc) if isinstance(exc, MailApiError) else f"{type(exc).__name__}: {exc}"
    return {"status": ERROR, "message": text}


def finish(
    event: Mapping[str, Any],
    *,
    soft_fail: bool,
    log: logging.Logger | Any,
    ti: Any = None,
    show_addresses: bool = False,
) -> dict[str, Any]:
    """The task's return value for a final event, or the exception that ends it.

    Its messages name parties as ``address_logging`` says (masked unless ``show_addresses``); the exception's
    ``who`` and ``result`` keep them whole, for callbacks and downstream tasks.

    With ``ti``, the event's ``WaitResult`` (reached, failed or at the deadline) is pushed first under
    ``OUTCOME_XCOM_KEY``, so downstream tasks read it whichever way this task ends.
    """
    status = event.get("status")
    if ti is not None and isinstance(event.get("result"), Mapping):
        ti.xcom_push(key=OUTCOME_XCOM_KEY, value=event["result"])
    if status == REACHED:
        outcome: dict[str, Any] = event["result"]
        log.info("Reached %s for %s %s", outcome["target"], outcome["kind"], ", ".join(outcome["ids"]))
        return outcome
    if status == FAILED:
        outcome = event["result"]
        noun = KINDS[outcome["kind"]].party
        message = f"{outcome['kind']} {', '.join(outcome['ids'])}: {noun} {event['who']} {event['reason']}"
        message = in_text(message, show_addresses)
        raise OutcomeFailedError(message, who=str(event["who"]), reason=str(event["reason"]), result=outcome)
    if status == TIMEOUT:
        message = in_text(str(event.get("message")), show_addresses)
        if soft_fail:
            raise AirflowSkipException(f"{message}; skipped (soft_fail)")
        raise AirflowSensorTimeout(message)
    raise AirflowFailException(str(event.get("message") or f"unexpected event {dict(event)!r}"))


def evidence_link_entries(outcome: Mapping[str, Any], own_origin: str | None, limit: int = 20) -> list[dict[str, str]]:
    """``[{"label", "url"}]`` for each certificate, original document and acta a finished wait saw.

    URLs as the API gave them, less any credential-like query parameter, and only those ``link_url``
    allows (http(s) to the connection's origin or a documented LegallyMail host); sorted naturally, at
    most ``limit`` (the link buttons).
    """
    candidates: list[tuple[str, str]] = []
    for party in (
        outcome.get(KINDS[str(outcome.get("kind"))].parties if outcome.get("kind") in KINDS else "recipients") or []
    ):
        for cert in party.get("certificates") or []:
            if cert.get("url"):
                kind = "sms_certificate" if outcome.get("kind") == SMS.name else "certificate"
                label = f"{evidence_label(kind, party.get('who'), cert.get('type'))} ({party.get('id')})"
                candidates.append((label, public_url(str(cert["url"]))))
    for ident, documents in (outcome.get("documents") or {}).items():
        for key, name in (("original", ORIGINAL), ("acta", ACTA)):
            if documents.get(key):
                candidates.append((f"{name} ({ident})", public_url(str(documents[key]))))
    return link_entries(candidates, own_origin, limit)


def is_transient(exc: BaseException) -> bool:
    """A poll error worth trying again later (429, 5xx, network), as opposed to a refusal (wrong id or token)."""
    return isinstance(exc, MailApiError | OSError) and not isinstance(exc, RefusedError)
