"""``LegallyMailWaitTrigger``: waits in the triggerer for an email, signature or SMS outcome; and the event
triggers (``SignatureEventTrigger``, ``CertifiedEmailEventTrigger``, ``SmsEventTrigger``) that start DAG
runs from outcomes through an ``AssetWatcher`` (the work is in ``waiting/event_source.py``).

Fully async: the connection is read asynchronously and every request runs the existing sync hook in a
worker thread through the shared poller (one per connection per event loop). Its kwargs hold the whole
wait, absolute deadline included, so a restarted triggerer rebuilds it from ``serialize()`` and resumes.
It fires one event: ``reached`` / ``failed`` (with the result), ``timeout`` or ``error``.

Imports inside methods are only those that load what a running task needs and a DAG file's parse does not
(the hooks, the API models and client, the pollers, the Legitmailer workers, the archiver: the list is
``RUNNING_MACHINERY`` in ``tests/unit/test_import_light.py``, which checks it); every other import is at the top.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.triggers.base import BaseEventTrigger, BaseTrigger, TriggerEvent

from airflow_provider_legallymail.kinds import EMAIL, KINDS, SIGNATURE, SMS
from airflow_provider_legallymail.storage import digest
from airflow_provider_legallymail.validation import fail
from airflow_provider_legallymail.waiting.events import DEFAULT_EVENT_SPACING, EventSpacing, check_spacing
from airflow_provider_legallymail.waiting.wait import WaitSpec

if TYPE_CHECKING:
    from airflow_provider_legallymail.waiting.observations import Observation


class LegallyMailWaitTrigger(BaseTrigger):
    """Wait for ``spec`` (a ``WaitSpec`` as JSON) on ``legallymail_conn_id``.

    :param spec: ``WaitSpec.to_json()``: kind, ids, target, selection and the absolute deadline.
    :param legallymail_conn_id: the LegallyMail connection.
    :param min_interval: the shortest interval (seconds) between two checks of one id; None: per kind.
    :param carry: JSON echoed in the event (e.g. a sending operator's summary, for ``execute_complete``).
    :param log_addresses: name each party whose status changes in the log (default: counts, and the parties
        that failed masked; ``address_logging``), as the sending operator's ``log_addresses`` says.
    """

    def __init__(
        self,
        spec: dict[str, Any],
        legallymail_conn_id: str = "legallymail_default",
        min_interval: float | None = None,
        carry: Any = None,
        log_addresses: bool = False,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.spec = dict(spec)
        self.legallymail_conn_id = legallymail_conn_id
        self.min_interval = min_interval
        self.carry = carry
        self.log_addresses = log_addresses
        WaitSpec.from_json(self.spec)  # a malformed spec fails here, in the task, not in the triggerer

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "spec": self.spec,
                "legallymail_conn_id": self.legallymail_conn_id,
                "min_interval": self.min_interval,
                "carry": self.carry,
                "log_addresses": self.log_addresses,
            },
        )

    def _event(self, payload: dict[str, Any]) -> TriggerEvent:
        if self.carry is not None:
            payload = {**payload, "carry": self.carry}
        return TriggerEvent(payload)  # type: ignore[no-untyped-call]

    async def run(self) -> AsyncIterator[TriggerEvent]:
        # lazy: the poller, the hook and the decision are the triggerer's, not a DAG file's (test_import_light.py)
        from airflow_provider_legallymail.waiting.decision import error_event, event_for
        from airflow_provider_legallymail.waiting.observations import describe_changes
        from airflow_provider_legallymail.waiting.poller import shared_poller

        spec = WaitSpec.from_json(self.spec)
        observations: dict[str, Observation | None] = {}
        async with shared_poller(self.legallymail_conn_id) as poller:
            subscription = poller.subscribe(spec, self.min_interval, decisive=True)
            try:
                while True:
                    event = event_for(spec, observations, time.time())
                    if event is not None:
                        yield self._event(event)
                        return
                    item = await subscription.next(spec.deadline - time.time())
                    if item is None:
                        continue
                    ident, seen = item
                    if isinstance(seen, BaseException):
                        yield self._event(error_event(seen))
                        return
                    for line in describe_changes(observations.get(ident), seen, self.log_addresses):
                        self.log.info("%s", line)
                    observations[ident] = seen
            finally:
                poller.unsubscribe(subscription)


class _OutcomeEventTrigger(BaseEventTrigger):
    """Fires one event per item of ``kind`` that reaches one of ``statuses``; for ``AssetWatcher``.

    :param statuses: the statuses to announce (see ``waiting/events.py``); order does not matter.
    :param legallymail_conn_id: the LegallyMail connection.
    :param poll_interval: the longest time (seconds) between two reads of the recent items' list; a list
        is read at most once every 15 s (the poller's ``list_interval``), so lower values read every 15 s.
    :param state_path: where the seen-state is kept (an ``ObjectStoragePath`` URL); default: the asset
        state store on Airflow 3.3+, else ``[legallymail] ledger_path``/../events.
    :param ledger_path: the send ledgers to read (default ``[legallymail] ledger_path``).
    :param event_spacing: the shortest real time (seconds) between two events, so that the scheduler starts
        one run per event (``waiting/events.py``); 0: no spacing.
    """

    kind: ClassVar[str]

    def __init__(
        self,
        statuses: Any = None,
        legallymail_conn_id: str = "legallymail_default",
        poll_interval: float = 60.0,
        state_path: str | None = None,
        ledger_path: str | None = None,
        event_spacing: float = DEFAULT_EVENT_SPACING,
    ) -> None:
        from airflow_provider_legallymail.waiting.events import check_statuses

        super().__init__()  # type: ignore[no-untyped-call]
        self.statuses = list(
            check_statuses(self.kind, KINDS[self.kind].event_statuses if statuses is None else statuses)
        )
        if isinstance(poll_interval, bool) or not isinstance(poll_interval, int | float) or poll_interval <= 0:
            raise fail("poll_interval", f"{poll_interval!r} is not a positive number of seconds")
        self.legallymail_conn_id = legallymail_conn_id
        self.poll_interval = float(poll_interval)
        self.state_path = state_path
        self.ledger_path = ledger_path
        self.event_spacing = check_spacing(event_spacing)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "statuses": list(self.statuses),
                "legallymail_conn_id": self.legallymail_conn_id,
                "poll_interval": self.poll_interval,
                "state_path": self.state_path,
                "ledger_path": self.ledger_path,
                "event_spacing": self.event_spacing,
            },
        )

    def state_name(self) -> str:
        """The seen-state's name: a digest of what identifies this watcher (class and kwargs)."""
        classpath, kwargs = self.serialize()
        return digest(classpath, json.dumps(kwargs, sort_keys=True))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_legallymail.waiting.event_source import EventSource, EventSpec
        from airflow_provider_legallymail.waiting.seen import seen_store

        spec = EventSpec(
            self.kind, tuple(self.statuses), self.legallymail_conn_id, self.poll_interval, self.ledger_path
        )
        store = seen_store(getattr(self, "asset_state_store", None), self.state_path, self.state_name())
        self.log.info("Watching %s %s on %s (seen-state: %s)", self.kind, self.statuses, spec.conn_id, store.where)
        spacing = EventSpacing(self.event_spacing)
        async for event in EventSource(spec, store).run():
            await spacing.before()
            self.log.info("Announcing %s", event["event_id"])
            yield TriggerEvent(event)  # type: ignore[no-untyped-call]
            spacing.after()


class SignatureEventTrigger(_OutcomeEventTrigger):
    """An event per signature request that is ``signed``, ``declined`` or ``expired`` (default: all three)."""

    kind = SIGNATURE.name


class CertifiedEmailEventTrigger(_OutcomeEventTrigger):
    """An event per certified email ``delivered``, ``read``, ``bounced`` or ``failed`` (every recipient read:
    ``read``; one recipient bounced: ``bounced``). Default: all four."""

    kind = EMAIL.name


class SmsEventTrigger(_OutcomeEventTrigger):
    """An event per certified SMS ``delivered`` or ``failed``, among the SMS sent through this provider."""

    kind = SMS.name
