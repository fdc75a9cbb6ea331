"""Find a send that an earlier try made but never heard back about, through the list endpoints.

The API has no idempotency key. ``GET /api/emails`` and ``GET /api/signatures`` list the 25 most recent
sends with recipient, subject / document name and creation time; a send matches when its recipients (or
document name and signers) and subject are the ones recorded before sending, and it was created after the
attempt began. "After" is read on the server's clock: the server's time now, from the ``Date`` header of the
list's own answer, less the real seconds since the attempt counted at the connection's ``sandbox_speed``
(a sandbox run with ``--speed 60`` counts 60 of its seconds per real second; 1 for the real APIs), less
``CLOCK_RESOLUTION`` (server seconds: both are to the second) and ``CLOCK_TRANSIT`` (real seconds, counted at
that speed); with no ``Date`` the window opens ``CLOCK_SKEW`` earlier. ``covered`` says whether the listing
reaches back that far: when it does not (more than 25 newer sends), absence proves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_legallymail.limits import LIST_LIMIT_MAX
from airflow_provider_legallymail.models.legallymail_summaries import adopted_email_summary, signature_summary

if TYPE_CHECKING:
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook

CLOCK_SKEW = timedelta(seconds=120)  # when the server's clock is unknown
CLOCK_RESOLUTION = timedelta(seconds=2)  # server seconds: Date and created_at are each to the second
CLOCK_TRANSIT = timedelta(seconds=1)  # real seconds between the server's clock and our reading of it
CLOCK_TOLERANCE = CLOCK_RESOLUTION + CLOCK_TRANSIT  # how much earlier the window opens, at speed 1


@dataclass(frozen=True)
class Lookup:
    summary: dict[str, Any] | None
    covered: bool


def _covered(created: list[datetime | None], since: datetime) -> bool:
    return len(created) < LIST_LIMIT_MAX or any(c is not None and c <= since for c in created)


def server_time(local: datetime, offset: float | None, speed: float = 1.0, now: datetime | None = None) -> datetime:
    """The instant ``local`` (our clock) on the server's clock, rounded down by the tolerance.

    ``offset``: the server's clock minus ours, measured *now* (from the last answer's ``Date``); ``speed``:
    server seconds per real second. The server's clock then read ``now + offset``, and ``local`` was
    ``now - local`` real seconds, ``speed`` times as many server seconds, earlier.
    """
    now = now or datetime.now(timezone.utc)
    if offset is None:
        return local - CLOCK_SKEW * speed
    server_now = now + timedelta(seconds=offset)
    return server_now - (now - local + CLOCK_TRANSIT) * speed - CLOCK_RESOLUTION


def _server_time(hook: LegallyMailHook, local: datetime) -> datetime:
    return server_time(local, hook.server_clock_offset, hook.settings.sandbox_speed)


def _lower(values: Any) -> set[str]:
    return {str(v).strip().lower() for v in values}


def find_email(hook: LegallyMailHook, request: dict[str, Any], since: datetime) -> Lookup:
    """An email to exactly ``request["recipients"]`` with ``request["subject"]``, created after ``since``."""
    wanted = _lower(request["recipients"])
    emails = hook.list_emails(limit=LIST_LIMIT_MAX)
    since = _server_time(hook, since)
    for email in emails:
        if email.created_at is None or email.created_at < since or email.subject != request["subject"]:
            continue
        if len(wanted) == 1 and not email.is_multi_recipient:
            if _lower([email.recipient]) == wanted:
                return Lookup(adopted_email_summary(email), True)
        elif email.is_multi_recipient and email.recipient_count in (None, len(wanted)):
            detail = hook.get_email(email.tracking_id)
            if _lower(r.email for r in detail.recipients) == wanted:
                return Lookup(adopted_email_summary(detail), True)
    return Lookup(None, _covered([e.created_at for e in emails], since))


def find_signature(
    hook: LegallyMailHook, request: dict[str, Any], since: datetime, *, exclude: frozenset[str] = frozenset()
) -> Lookup:
    """A signature request for ``request["document_name"]`` whose first signer is the recorded one.

    ``exclude``: uuids that are not it (a re-send's look-up never adopts the request it re-sends).
    """
    requests = hook.list_signatures(limit=LIST_LIMIT_MAX)
    since = _server_time(hook, since)
    first_signer = str(request["signer_emails"][0]).lower()
    for item in requests:
        if item.created_at is None or item.created_at < since or item.document_name != request["document_name"]:
            continue
        if item.uuid in exclude:
            continue
        if (item.signer_email or "").lower() != first_signer:
            continue
        detail = hook.get_signature(item.uuid)
        signers = _lower(s.signer_email for s in detail.signers) if detail.signers else {first_signer}
        if signers == _lower(request["signer_emails"]):
            return Lookup(signature_summary(detail), True)
    return Lookup(None, _covered([r.created_at for r in requests], since))
