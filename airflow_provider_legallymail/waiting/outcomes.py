"""From a decision to what the task does: the event a trigger fires, and how the task ends on it.

``event_for`` is called by the trigger and by a poke alike; ``finish`` turns an event into the task's
return value or its exception, for sensors (``execute_complete`` and after poking) and for ``wait_for=``.
A failure raises ``OutcomeFailedError`` (never retried, never skipped); only a deadline reached is a
timeout, which ``soft_fail`` turns into a skip.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from airflow_provider_legallymail.exceptions import MailApiError, OutcomeFailedError
from airflow_provider_legallymail.kinds import KINDS, SMS
from airflow_provider_legallymail.waiting.decision import Decision, Failed, Pending, decide, result
from airflow_provider_legallymail.waiting.observations import OBSERVE, Observation
from airflow_provider_legallymail.waiting.targets import WaitSpec

REACHED, FAILED, TIMEOUT, ERROR = "reached", "failed", "timeout", "error"


def fetch_observation(hook: Any, kind: str, ident: str) -> Observation:
    """One ``GET`` through the hook (its client, retries and budget), as an observation."""
    return OBSERVE[kind](getattr(hook, KINDS[kind].get)(ident))


def event_for(spec: WaitSpec, observations: Mapping[str, Observation | None], now: float) -> dict[str, Any] | None:
    """The trigger event for the current state, or None while pending and before the deadline."""
    decision: Decision = decide(spec, observations, now)
    if isinstance(decision, Pending):
        if now < spec.deadline:
            return None
        when = datetime.fromtimestamp(spec.deadline, timezone.utc).isoformat()
        waiting = f" (still waiting for {', '.join(decision.waiting_for)})" if decision.waiting_for else ""
        return {"status": TIMEOUT, "message": f"deadline {when} reached before {spec.describe()}{waiting}"}
    out = result(spec, observations, decision, now)
    if isinstance(decision, Failed):
        return {"status": FAILED, "who": decision.who, "reason": decision.reason, "result": out}
    return {"status": REACHED, "result": out}


def error_event(exc: BaseException) -> dict[str, Any]:
    """A wait that cannot succeed whatever happens next (unknown id, bad token): fail, don't skip."""
    text = str(exc) if isinstance(exc, MailApiError) else f"{type(exc).__name__}: {exc}"
    return {"status": ERROR, "message": text}


def finish(event: Mapping[str, Any], *, soft_fail: bool, log: logging.Logger | Any) -> dict[str, Any]:
    """The task's return value for a final event, or the exception that ends it."""
    from airflow_provider_legallymail.compat import AirflowFailException, AirflowSensorTimeout, AirflowSkipException

    status = event.get("status")
    if status == REACHED:
        outcome: dict[str, Any] = event["result"]
        log.info("Reached %s for %s %s", outcome["target"], outcome["kind"], ", ".join(outcome["ids"]))
        return outcome
    if status == FAILED:
        outcome = event["result"]
        noun = KINDS[outcome["kind"]].party
        message = f"{outcome['kind']} {', '.join(outcome['ids'])}: {noun} {event['who']} {event['reason']}"
        raise OutcomeFailedError(message, who=str(event["who"]), reason=str(event["reason"]), result=outcome)
    if status == TIMEOUT:
        if soft_fail:
            raise AirflowSkipException(f"{event.get('message')}; skipped (soft_fail)")
        raise AirflowSensorTimeout(str(event.get("message")))
    raise AirflowFailException(str(event.get("message") or f"unexpected event {dict(event)!r}"))


def evidence_link_entries(outcome: Mapping[str, Any], own_origin: str | None, limit: int = 20) -> list[dict[str, str]]:
    """``[{"label", "url"}]`` for each certificate, original document and acta a finished wait saw.

    URLs as the API gave them, less any credential-like query parameter, and only those ``link_url``
    allows (http(s) to the connection's origin or a documented LegallyMail host); sorted naturally, at
    most ``limit`` (the link buttons).
    """
    from airflow_provider_legallymail.evidence.collect import public_url
    from airflow_provider_legallymail.evidence.links import ACTA, ORIGINAL, evidence_label, link_entries

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
    from airflow_provider_legallymail.exceptions import RefusedError

    return isinstance(exc, MailApiError | OSError) and not isinstance(exc, RefusedError)
