"""The one decision of every wait: observations + spec + now -> Reached / Failed(who, reason) / Pending.

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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_provider_legallymail.contracts import WaitResult
from airflow_provider_legallymail.statuses import EmailStatus, SignatureStatus, SmsStatus
from airflow_provider_legallymail.waiting.observations import Observation, unlisted_count
from airflow_provider_legallymail.waiting.targets import SELECTION_FIELDS, WaitSpec

EXPIRY_GRACE = 60.0
"""Seconds past ``expires_at`` before an unsigned signer counts as expired (clock skew with the API)."""


@dataclass(frozen=True)
class Reached:
    pass


@dataclass(frozen=True)
class Failed:
    who: str
    reason: str


@dataclass(frozen=True)
class Pending:
    waiting_for: tuple[str, ...]


Decision = Reached | Failed | Pending


def _party_outcome(spec: WaitSpec, observation: Observation, party: Mapping[str, Any], now: float) -> str | None:
    """``"reached"``, a failure reason, or None (still pending) for one party."""
    status = party["status"]
    if spec.kind == "email":
        email = EmailStatus.parse(status)
        if email.is_failure:
            return f"{email.value}" + (f" ({party['reason']})" if party.get("reason") else "")
        return "reached" if email.reached(EmailStatus(spec.target)) else None
    if spec.kind == "sms":
        sms = SmsStatus.parse(status)
        if sms.is_failure:
            return f"{sms.value}" + (f" ({party['reason']})" if party.get("reason") else "")
        return "reached" if sms.is_success else None
    signer = SignatureStatus.parse(status)
    request = SignatureStatus.parse(observation["status"])
    if signer.is_success and request.is_failure:
        if any(SignatureStatus.parse(p["status"]) is SignatureStatus.DECLINED for p in observation["parties"]):
            return "signed, but another signer declined the request: it will never be signed"
        return f"is reported signed, but the request is {request.value}: a contradiction, no proof of a signature"
    if signer.is_success:
        return "reached"
    expires_at = observation.get("expires_at")
    expired = signer is SignatureStatus.EXPIRED or request is SignatureStatus.EXPIRED
    if expires_at is not None and now > float(expires_at) + EXPIRY_GRACE:
        expired = True
    if signer is SignatureStatus.DECLINED:
        return "declined to sign" + (f" at {observation['declined_at']}" if observation.get("declined_at") else "")
    if request is SignatureStatus.DECLINED:
        return "cannot sign any more: another signer declined the request"
    if expired:
        when = observation.get("expires_at_text")
        return "did not sign before the request expired" + (f" at {when}" if when else "")
    return None


def decide(spec: WaitSpec, observations: Mapping[str, Observation | None], now: float) -> Decision:
    """The state of the wait given the latest observation of each id (None: not seen yet)."""
    seen = [o for o in (observations.get(i) for i in spec.ids) if o is not None]
    complete = len(seen) == len(spec.ids)
    outcomes: dict[str, str | None] = {}
    for observation in seen:
        proves = not unlisted_count(observation)  # an answer missing parties proves no success
        for party in observation["parties"]:
            outcome = _party_outcome(spec, observation, party, now)
            outcomes[party["who"]] = None if outcome == "reached" and not proves else outcome
    gone = _unlisted(spec, seen, outcomes) if complete else []
    outcomes.update(dict.fromkeys(gone))  # expected, and no answer lists it any more: not reached
    if isinstance(spec.selection, tuple):
        if complete:
            strangers = [who for who in spec.selection if who not in outcomes]
            if strangers:
                noun = SELECTION_FIELDS[spec.kind].rstrip("s")
                return Failed(strangers[0], f"is not a {noun} of {spec.kind} {', '.join(spec.ids)}")
        outcomes = {who: outcomes[who] for who in spec.selection if who in outcomes}
    failures = [(who, reason) for who, reason in outcomes.items() if reason not in (None, "reached")]
    reached = [who for who, reason in outcomes.items() if reason == "reached"]
    pending = tuple(
        f"{who} (no longer listed)" if who in gone and "@" in who else who for who, r in outcomes.items() if r is None
    )
    if spec.selection == "any":
        if reached:
            return Reached()
        if complete and failures and not pending:
            return Failed(", ".join(w for w, _ in failures), "; ".join(f"{w}: {r}" for w, r in failures))
        return Pending(pending)
    if failures:
        return Failed(*failures[0])
    if complete and outcomes and not pending and len(reached) == len(outcomes):
        return Reached()
    return Pending(pending)


def _unlisted(spec: WaitSpec, seen: list[Observation], listed: Mapping[str, Any]) -> list[str]:
    """Parties the send returned (or the answers count) that no answer lists any more, as the wait names them."""
    missing = [who for who in spec.known_parties if who not in listed]
    short = sum(unlisted_count(o) for o in seen) - len(missing)
    if short > 0:
        noun = SELECTION_FIELDS[spec.kind]
        missing.append(f"{short} {noun.rstrip('s')}(s) the answer leaves out")
    return missing


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def result(
    spec: WaitSpec, observations: Mapping[str, Observation | None], decision: Decision, now: float
) -> WaitResult:
    """The JSON return value of a finished wait: outcome and every selected party with its evidence."""
    parties = []
    documents = {}
    for ident in spec.ids:
        observation = observations.get(ident)
        if observation is None:
            continue
        if observation.get("documents"):
            documents[ident] = observation["documents"]
        for party in observation["parties"]:
            if isinstance(spec.selection, str) or party["who"] in spec.selection:
                parties.append({**party, "id": ident})
    out: WaitResult = {
        "kind": spec.kind,
        "ids": list(spec.ids),
        "target": spec.target,
        "outcome": "reached" if isinstance(decision, Reached) else "failed",
        "decided_at": _iso(now),
    }
    out["signers" if SELECTION_FIELDS[spec.kind] == "signers" else "recipients"] = parties
    if documents:
        out["documents"] = documents
    if isinstance(decision, Failed):
        out["failed"] = {"who": decision.who, "reason": decision.reason}
    return out
