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
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger
from airflow_provider_legallymail.exceptions import MailApiError, proves_not_processed

if TYPE_CHECKING:
    from airflow_provider_legallymail.delivery.lost_sends import Lookup

log = logging.getLogger(__name__)


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
    ) -> None:
        self.ledger = ledger
        self.on_retry = on_retry
        self.try_number = try_number
        self.run_started = run_started
        self.resend_accepted = resend_accepted

    def deliver(self, unit: SendUnit) -> dict[str, Any]:
        previous = self.ledger.last_attempt(unit.key)
        state = previous["state"] if previous is not None else None
        if self.on_retry is OnRetry.RESEND and (self.resend_accepted or state is not AttemptState.ACCEPTED):
            return self._send(unit)
        if previous is None:
            if self.try_number > 1 and not self._has_evidence():
                return self._without_evidence(unit)
            return self._send(unit)
        if state is AttemptState.NOT_PROCESSED:
            return self._send(unit)
        if self.on_retry is OnRetry.FAIL:
            self._fail(unit, f"an earlier try left it {previous['state'].value!r} and on_retry='fail'")
        if state is AttemptState.ACCEPTED:
            log.info("%s %s: adopting what try %s sent", unit.kind, unit.key, previous.get("try"))
            return {**previous["result"], "adopted": True}
        return self._reconcile(unit, previous.get("request") or unit.request, _parse(previous.get("at")))

    # -- decisions ---------------------------------------------------------------------------------
    def _has_evidence(self) -> bool:
        """Did an earlier try of this task instance reach ``execute`` and leave a readable record?"""
        return self.ledger.readable and any(t < self.try_number for t in self.ledger.tries)

    def _without_evidence(self, unit: SendUnit) -> dict[str, Any]:
        where = (
            f"this is try {self.try_number} but no earlier try left a readable record at {self.ledger.path} "
            "(it failed before execute, or the ledger is not on storage shared by all workers)"
        )
        if self.on_retry is OnRetry.FAIL:
            self._fail(unit, f"{where} and on_retry='fail'")
        return self._reconcile(unit, unit.request, self.run_started, reason=where)

    def _reconcile(
        self, unit: SendUnit, request: dict[str, Any], since: datetime | None, reason: str = ""
    ) -> dict[str, Any]:
        if unit.lookup is None or since is None:
            self._fail(
                unit,
                (reason or "an earlier try's outcome is unknown")
                + f"; the API cannot list {unit.kind} sends, so it may have gone out. Check the service's "
                "dashboard, then re-run with on_retry='resend' if it did not.",
            )
        found = unit.lookup(request, since)
        if found.summary is not None:
            log.info("%s %s: found the earlier send, adopting it", unit.kind, unit.key)
            self.ledger.begin(unit.key, self.try_number, request)
            self.ledger.finish(unit.key, AttemptState.ACCEPTED, result=found.summary)
            return {**found.summary, "adopted": True}
        if not found.covered:
            self._fail(
                unit,
                "an earlier try's outcome is unknown and the API's recent list does not reach back far "
                "enough to prove it was not sent",
            )
        log.info("%s %s: the earlier attempt provably did not go out; sending", unit.kind, unit.key)
        return self._send(unit)

    def _send(self, unit: SendUnit) -> dict[str, Any]:
        self.ledger.begin(unit.key, self.try_number, unit.request)
        try:
            result = unit.send()
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

    def _fail(self, unit: SendUnit, why: str) -> NoReturn:
        raise AirflowFailException(f"{unit.kind} {unit.request}: not sending again: {why}")


def _parse(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


__all__ = ["Deliverer", "OnRetry", "SendUnit", "attempt_state"]
