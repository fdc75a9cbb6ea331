"""Send each unit (an email batch, a signature request, an SMS) at most once across task tries.

For every unit the task records its intent in the ``SendLedger`` before the POST and the outcome after
it. A later try then decides from the last recorded attempt, according to ``on_retry``:

==============================  ===============================  ==================  ==================
earlier attempt of this unit    adopt (default)                  resend              fail
==============================  ===============================  ==================  ==================
none (first try)                send                             send                send
not processed (4xx, 429, 503)   send                           send                send
accepted                        adopt its ids                    send again          fail the task
started / in doubt              look it up: adopt if found,      send again          fail the task
                                send if provably absent, else
                                fail; SMS (no lookup): fail
no ledger on a retry            look it up since the run began;  send again          fail the task
                                SMS: fail
==============================  ===============================  ==================  ==================

With ``adopt``, a send whose answer is lost (``OutcomeUnknownError``) is resolved in the same try when it
can be looked up: the API may still be processing it, so "not in the list" proves it absent only once the
attempt can no longer commit, ``settle_seconds`` (the read timeout plus the connection's ``settle_seconds``)
after its POST went out (``OutcomeUnknownError.sent_at``, kept in the ledger: a wait for the request budget,
or attempts refused with 429/503 and their backoff, may delay it well past the moment the unit began). The
deliverer waits until then, looks it up while the 25-item list still reaches back to it, and adopts it or
sends again (at most ``IN_TRY_RESENDS`` times per unit per try; after that it still looks the lost send up
and records a proven absence, so that the next try sends without a look-up). A later try that finds an attempt started
or in doubt applies the same wait before trusting a look-up.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn

from airflow_provider_legallymail.address_logging import request_for_log
from airflow_provider_legallymail.client.attempts import sending
from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger
from airflow_provider_legallymail.exceptions import MailApiError, OutcomeUnknownError, proves_not_processed

if TYPE_CHECKING:
    from airflow_provider_legallymail.delivery.lost_sends import Lookup

log = logging.getLogger(__name__)

IN_TRY_RESENDS = 2


def pause(seconds: float) -> None:
    """Wait for a lost send to settle (a module function so tests can replace it)."""
    time.sleep(seconds)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class OnRetry(str, enum.Enum):
    """What a later try does when an earlier try of the same task may already have sent."""

    ADOPT = "adopt"
    RESEND = "resend"
    FAIL = "fail"

    @classmethod
    def parse(cls, value: object) -> OnRetry:
        try:
            return cls(str(getattr(value, "value", value)).lower())
        except ValueError:
            raise ValueError(f"on_retry: {value!r} is not one of adopt, resend, fail") from None


def attempt_state(exc: BaseException) -> AttemptState:
    """NOT_PROCESSED when the error proves the API did not process the request; IN_DOUBT otherwise."""
    return AttemptState.NOT_PROCESSED if proves_not_processed(exc) else AttemptState.IN_DOUBT


@dataclass
class SendUnit:
    """One POST that must happen at most once, and how to recognise it afterwards."""

    key: str
    kind: str
    request: dict[str, Any]
    send: Callable[[], dict[str, Any]]
    lookup: Callable[[dict[str, Any], datetime], Lookup] | None = None


class Deliverer:
    """Applies the table above to each unit, recording every attempt in the ledger.

    ``resend_accepted``: with ``on_retry="resend"``, also send again a unit the ledger records as
    accepted (the LegallyMail operators). Template batches pass False: their ``resend`` sends again only
    what may not have gone out, and adopts the batches that did.
    """

    def __init__(
        self,
        ledger: SendLedger,
        on_retry: OnRetry,
        try_number: int,
        run_started: datetime | None,
        *,
        resend_accepted: bool = True,
        settle_seconds: float = 0.0,
    ) -> None:
        self.ledger = ledger
        self.on_retry = on_retry
        self.try_number = try_number
        self.run_started = run_started
        self.resend_accepted = resend_accepted
        self.settle_seconds = settle_seconds
        self._resends_left: dict[str, int] = {}

    def deliver(self, unit: SendUnit) -> dict[str, Any]:
        self._resends_left[unit.key] = IN_TRY_RESENDS
        previous = self.ledger.last_attempt(unit.key)
        state = previous["state"] if previous is not None else None
        if self.on_retry is OnRetry.RESEND and (self.resend_accepted or state is not AttemptState.ACCEPTED):
            return self._send(unit)
        if previous is not None and state is AttemptState.ACCEPTED and self.on_retry is not OnRetry.FAIL:
            log.info("%s %s: adopting what try %s sent", unit.kind, unit.key, previous.get("try"))
            return {**previous["result"], "adopted": True}
        if not self.ledger.proves(unit.key, self.try_number):
            return self._without_evidence(unit, previous)
        if previous is None or state is AttemptState.NOT_PROCESSED:
            return self._send(unit)
        if self.on_retry is OnRetry.FAIL:
            self._fail(unit, f"an earlier try left it {previous['state'].value!r} and on_retry='fail'")
        return self._reconcile(
            unit,
            previous.get("request") or unit.request,
            _parse(previous.get("at")),
            sent=_parse(previous.get("sent_at")),
        )

    # -- decisions ---------------------------------------------------------------------------------
    def _without_evidence(self, unit: SendUnit, previous: dict[str, Any] | None) -> dict[str, Any]:
        """The ledger lacks an earlier try (``SendLedger.proves``): look the unit up since the run began."""
        missing = [t for t in range(1, self.try_number) if t not in self.ledger.tries]
        where = (
            f"this is try {self.try_number} but the record at {self.ledger.where} "
            + (f"has nothing from try {', '.join(map(str, missing))}" if missing else "is unreadable")
            + " (it failed before execute, or ran where this record is not kept: a ledger on one worker's disk)"
        )
        if self.on_retry is OnRetry.FAIL:
            self._fail(unit, f"{where} and on_retry='fail'")
        request = (previous or {}).get("request") or unit.request
        sent = _parse((previous or {}).get("sent_at")) or _parse((previous or {}).get("at"))
        return self._reconcile(unit, request, self.run_started, reason=where, sent=sent, covers_earlier=True)

    def _reconcile(
        self,
        unit: SendUnit,
        request: dict[str, Any],
        since: datetime | None,
        reason: str = "",
        sent: datetime | None = None,
        *,
        resend: bool = True,
        covers_earlier: bool = False,
    ) -> dict[str, Any]:
        """Look up an attempt begun at ``since`` whose POST went out at ``sent`` (when known, else ``since``).

        Found: adopt it. Provably absent: send it now, or with ``resend=False`` record it as not processed,
        so that the next try sends it without a look-up the list may no longer reach. ``covers_earlier``:
        the look-up reaches back over every earlier try (``since`` is the run's start), and the ledger says so.
        """
        if unit.lookup is None or since is None:
            self._fail(
                unit,
                (reason or "an earlier try's outcome is unknown")
                + f"; the API cannot list {unit.kind} sends, so it may have gone out. Check the service's "
                "dashboard, then re-run with on_retry='resend' if it did not.",
            )
        self._settle(unit, max(since, sent) if sent is not None else since)
        found = unit.lookup(request, since)
        if found.summary is not None:
            log.info("%s %s: found the earlier send, adopting it", unit.kind, unit.key)
            self.ledger.begin(unit.key, self.try_number, request, covers_earlier=covers_earlier)
            self.ledger.finish(unit.key, AttemptState.ACCEPTED, result=found.summary)
            return {**found.summary, "adopted": True}
        if not found.covered:
            self._fail(
                unit,
                "an earlier try's outcome is unknown and the API's recent list does not reach back far "
                "enough to prove it was not sent",
            )
        if not resend:
            log.info("%s %s: provably not sent; the next try sends it", unit.kind, unit.key)
            self.ledger.finish(unit.key, AttemptState.NOT_PROCESSED, error="provably absent after a lost answer")
            return {}
        log.info("%s %s: the earlier attempt provably did not go out; sending", unit.kind, unit.key)
        return self._send(unit, covers_earlier=covers_earlier)

    def _settle(self, unit: SendUnit, sent: datetime) -> None:
        """Wait until a POST that went out at ``sent`` can no longer be committed by the API."""
        wait = (sent + timedelta(seconds=self.settle_seconds) - utcnow()).total_seconds()
        if wait > 0:
            log.info(
                "%s %s: waiting %.0fs until the earlier attempt can no longer be committed, then looking it up",
                unit.kind,
                unit.key,
                wait,
            )
            pause(wait)

    def _send(self, unit: SendUnit, *, covers_earlier: bool = False) -> dict[str, Any]:
        began = utcnow()
        self.ledger.begin(unit.key, self.try_number, unit.request, covers_earlier=covers_earlier)
        try:
            with sending(partial(self._going_out, unit.key)):
                result = unit.send()
        except OutcomeUnknownError as exc:
            sent = _from_epoch(exc.sent_at)
            self.ledger.finish(unit.key, AttemptState.IN_DOUBT, error=str(exc), sent_at=sent)
            if unit.lookup is None or self.on_retry is not OnRetry.ADOPT:
                raise
            log.warning("%s %s: %s; resolving it in this try", unit.kind, unit.key, exc)
            if self._resends_left[unit.key] <= 0:  # resolve it, but leave a new send to Airflow's next try
                adopted = self._reconcile(unit, unit.request, began, reason=str(exc), sent=sent, resend=False)
                if adopted:
                    return adopted
                raise
            self._resends_left[unit.key] -= 1
            return self._reconcile(unit, unit.request, began, reason=str(exc), sent=sent)
        except MailApiError as exc:
            self.ledger.finish(unit.key, attempt_state(exc), error=str(exc))
            raise
        except BaseException as exc:
            self.ledger.finish(unit.key, AttemptState.IN_DOUBT, error=f"{type(exc).__name__}: {exc}")
            raise
        try:
            self.ledger.finish(unit.key, AttemptState.ACCEPTED, result=result)
        except Exception:  # the send went out: never fail the task (and so trigger a retry) over the record
            log.exception("%s %s was sent but the ledger could not record it", unit.kind, unit.key)
        return {**result, "adopted": False}

    def _going_out(self, unit_key: str, at: float) -> None:
        """Record when the POST goes out (after any wait for the budget): a lost send settles from there."""
        self.ledger.mark_sending(unit_key, _from_epoch(at))

    def _fail(self, unit: SendUnit, why: str) -> NoReturn:
        raise AirflowFailException(f"{unit.kind} {request_for_log(unit.request)}: not sending again: {why}")


def _from_epoch(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, timezone.utc) if value is not None else None


def _parse(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


__all__ = ["Deliverer", "OnRetry", "SendUnit", "attempt_state"]
