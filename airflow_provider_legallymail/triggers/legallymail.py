"""``LegallyMailWaitTrigger``: waits in the triggerer for an email, signature or SMS outcome.

Fully async: the connection is read asynchronously and every request runs the existing sync hook in a
worker thread through the shared poller (one per connection per event loop). Its kwargs hold the whole
wait, absolute deadline included, so a restarted triggerer rebuilds it from ``serialize()`` and resumes.
It fires one event: ``reached`` / ``failed`` (with the result), ``timeout`` or ``error``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_legallymail.waiting.observations import Observation, describe_changes
from airflow_provider_legallymail.waiting.outcomes import error_event, event_for
from airflow_provider_legallymail.waiting.poller import shared_poller
from airflow_provider_legallymail.waiting.targets import WaitSpec


class LegallyMailWaitTrigger(BaseTrigger):
    """Wait for ``spec`` (a ``WaitSpec`` as JSON) on ``legallymail_conn_id``.

    :param spec: ``WaitSpec.to_json()``: kind, ids, target, selection and the absolute deadline.
    :param legallymail_conn_id: the LegallyMail connection.
    :param min_interval: the shortest interval (seconds) between two checks of one id; None: per kind.
    :param carry: JSON echoed in the event (e.g. a sending operator's summary, for ``execute_complete``).
    """

    def __init__(
        self,
        spec: dict[str, Any],
        legallymail_conn_id: str = "legallymail_default",
        min_interval: float | None = None,
        carry: Any = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.spec = dict(spec)
        self.legallymail_conn_id = legallymail_conn_id
        self.min_interval = min_interval
        self.carry = carry
        WaitSpec.from_json(self.spec)  # a malformed spec fails here, in the task, not in the triggerer

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "spec": self.spec,
                "legallymail_conn_id": self.legallymail_conn_id,
                "min_interval": self.min_interval,
                "carry": self.carry,
            },
        )

    def _event(self, payload: dict[str, Any]) -> TriggerEvent:
        if self.carry is not None:
            payload = {**payload, "carry": self.carry}
        return TriggerEvent(payload)  # type: ignore[no-untyped-call]

    async def run(self) -> AsyncIterator[TriggerEvent]:
        spec = WaitSpec.from_json(self.spec)
        observations: dict[str, Observation | None] = {}
        async with shared_poller(self.legallymail_conn_id) as poller:
            subscription = poller.subscribe(spec, self.min_interval)
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
                    for line in describe_changes(observations.get(ident), seen):
                        self.log.info("%s", line)
                    observations[ident] = seen
            finally:
                poller.unsubscribe(subscription)
