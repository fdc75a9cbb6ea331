"""The AssetWatcher side, pure: which statuses an item has reached, its event payload, and event spacing.

Outcome events: which statuses an item has reached, and the payload a triggered DAG run reads.

Pure: no I/O. An event trigger announces each (item, status) once, for the statuses it watches:

- email: ``delivered`` / ``read`` once every recipient is delivered (``read`` counts) / read;
  ``bounced`` / ``failed`` once a recipient bounced / failed;
- signature: ``signed`` once every signer signed, ``declined`` / ``expired`` the request's status (or a
  signer's); ``expired`` also once it is still unsigned 60 s past ``expires_at``. A signer's ``signed`` in a
  declined or expired request is a contradiction, never announced as ``signed``;
- sms: ``delivered`` or ``failed``, the SMS's status.

An email is read from its recipients, never from its group status (which stays ``pending`` in the
documented example). A failed recipient ends the email: ``read`` (every recipient) can no longer happen.
An answer listing fewer recipients than the email has announces no ``delivered`` / ``read``.

Real time kept between two events of one watcher, so that Airflow starts one DAG run per event.

Airflow (3.0 to 3.3 at least) queues an asset-triggered run per asset and DAG as one row stamped with the
*first* event's time, and the run it then creates consumes only the events up to that time. An event that
arrives between the first event and the run's creation (the scheduler's next loop, usually a second or
two) is left out, and is consumed only by the run the *next* event starts, possibly days later
(apache/airflow#56050). Spacing a watcher's events by a few seconds lets the scheduler create each run
before the next event arrives: one run per outcome, none left waiting.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from airflow_provider_legallymail import validation
from airflow_provider_legallymail.evidence.collect import public_url
from airflow_provider_legallymail.kinds import EMAIL, KINDS, SIGNATURE
from airflow_provider_legallymail.redaction import scrub
from airflow_provider_legallymail.statuses import EmailStatus
from airflow_provider_legallymail.validation import fail
from airflow_provider_legallymail.waiting.decision import EXPIRY_GRACE, reached_statuses
from airflow_provider_legallymail.waiting.observations import Observation


def check_statuses(kind: str, statuses: Any) -> tuple[str, ...]:
    """The watched statuses, checked and in a canonical order (so identical watchers have equal kwargs)."""
    known = KINDS[kind].event_statuses
    values = [statuses] if isinstance(statuses, str) else list(statuses or ())
    if not values:
        raise validation.fail("statuses", f"at least one of {', '.join(known)} is required")
    chosen = {validation.one_of(str(v).strip().lower(), known, "statuses") for v in values}
    return tuple(s for s in known if s in chosen)


def reached(observation: Observation, now: float) -> list[str]:
    """Every status of ``Kind.event_statuses`` the observed item has reached, in order (``decision``)."""
    return reached_statuses(observation, now)


def is_final(observation: Observation, now: float, watched: tuple[str, ...], announced: set[str]) -> bool:
    """Nothing this watcher cares about can happen to the item any more: stop watching it."""
    statuses = reached(observation, now)
    if set(watched) <= announced | set(statuses):
        return True
    if observation["kind"] == EMAIL.name:
        return any(EmailStatus.parse(s).is_failure for s in statuses) or "read" in statuses
    return bool(statuses)  # a signature or SMS reaches one terminal status


def expiry_of(observation: Observation) -> float | None:
    """When a pending signature request counts as expired (epoch), for the watcher's own timer."""
    if observation["kind"] != SIGNATURE.name or reached_statuses(observation, float("-inf")):
        return None
    expires_at = observation.get("expires_at")
    return None if expires_at is None else float(expires_at) + EXPIRY_GRACE


def _clean(url: Any) -> Any:
    """A URL as the API gave it, without credential-like query parameters or any registered secret."""
    if not isinstance(url, str):
        return url
    return scrub(public_url(url))


def _latest(values: list[Any]) -> str | None:
    present = sorted(str(v) for v in values if v)
    return present[-1] if present else None


def _reached_at(status: str, observation: Observation) -> str | None:
    times = [p.get("times") or {} for p in observation["parties"]]
    field = {
        "delivered": "delivered_at",
        "read": "read_at",
        "signed": "signed_at",
        "failed": "failed_at",
    }.get(status)
    if status == "declined":
        return observation.get("declined_at")
    if status == "expired":
        return observation.get("expires_at_text")
    if field is None:
        return None
    return _latest([t.get(field) for t in times]) or (observation.get("signed_at") if status == "signed" else None)


def reached_after(status: str, observation: Observation, since: float | None) -> bool:
    """The API's timestamp for ``status`` is at or after ``since`` (epoch, to the second); False if unknown."""
    at = _reached_at(status, observation)
    if since is None or at is None:
        return False
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return False
    if moment.tzinfo is None:
        return False
    return moment.timestamp() >= math.floor(since)


def payload(status: str, observation: Observation, conn_id: str, now: float) -> dict[str, Any]:
    """The event's payload: JSON, ``ArchiveEvidenceOperator``-ready (``kind`` + ``id``), never the token."""
    kind, ident = observation["kind"], observation["id"]
    parties = []
    certificates = []
    for party in observation["parties"]:
        certs = [{**c, "url": _clean(c.get("url"))} for c in party.get("certificates") or ()]
        parties.append({**party, "certificates": certs})
        certificates += [{"who": party["who"], **c} for c in certs]
    out: dict[str, Any] = {
        "kind": kind,
        "id": ident,
        KINDS[kind].id_field: ident,
        "status": status,
        "event_id": f"{kind}:{ident}:{status}",
        "item_status": observation["status"],
        "reached_at": _reached_at(status, observation),
        "detected_at": datetime.fromtimestamp(now, timezone.utc).isoformat(),
        KINDS[kind].parties: parties,
        "certificates": certificates,
        "legallymail_conn_id": conn_id,
    }
    if kind == EMAIL.name:
        out.update(subject=observation.get("subject"), sent_at=observation.get("sent_at"))
    elif kind == SIGNATURE.name:
        documents = observation.get("documents") or {}
        out.update(
            document_name=observation.get("document_name"),
            created_at=observation.get("created_at"),
            expires_at=observation.get("expires_at_text"),
            documents={
                **documents,
                "original": _clean(documents.get("original")),
                "acta": _clean(documents.get("acta")),
            },
        )
    else:
        out.update(phone=observation["parties"][0]["who"], sent_at=observation.get("sent_at"))
    return out


DEFAULT_EVENT_SPACING = 5.0
"""Seconds between two events of one watcher (a few of the scheduler's loops)."""


def check_spacing(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 3600:
        raise fail("event_spacing", f"{value!r} is not a number of seconds between 0 and 3600")
    return float(value)


class EventSpacing:
    """``await before()`` an event, ``after()`` once it has been taken: at least ``seconds`` apart."""

    def __init__(
        self,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self.sleep = sleep
        self.last: float | None = None

    async def before(self) -> None:
        if self.last is not None:
            delay = self.last + self.seconds - self.clock()
            if delay > 0:
                await self.sleep(delay)

    def after(self) -> None:
        self.last = self.clock()
