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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_provider_legallymail.statuses import EmailStatus, SignatureStatus, SmsStatus
from airflow_provider_legallymail.waiting.observations import Observation
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
    if signer.is_success:
        return "reached"
    request = SignatureStatus.parse(observation["status"])
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
        for party in observation["parties"]:
            outcomes[party["who"]] = _party_outcome(spec, observation, party, now)
    if isinstance(spec.selection, tuple):
        if complete:
            strangers = [who for who in spec.selection if who not in outcomes]
            if strangers:
                noun = SELECTION_FIELDS[spec.kind].rstrip("s")
                return Failed(strangers[0], f"is not a {noun} of {spec.kind} {', '.join(spec.ids)}")
        outcomes = {who: outcomes[who] for who in spec.selection if who in outcomes}
    failures = [(who, reason) for who, reason in outcomes.items() if reason not in (None, "reached")]
    reached = [who for who, reason in outcomes.items() if reason == "reached"]
    pending = tuple(who for who, reason in outcomes.items() if reason is None)
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


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def result(
    spec: WaitSpec, observations: Mapping[str, Observation | None], decision: Decision, now: float
) -> dict[str, Any]:
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
    out: dict[str, Any] = {
        "kind": spec.kind,
        "ids": list(spec.ids),
        "target": spec.target,
        "outcome": "reached" if isinstance(decision, Reached) else "failed",
        "decided_at": _iso(now),
        SELECTION_FIELDS[spec.kind]: parties,
    }
    if documents:
        out["documents"] = documents
    if isinstance(decision, Failed):
        out["failed"] = {"who": decision.who, "reason": decision.reason}
    return out
