"""Sensors that wait for a certified email to be delivered or read, a document signed, an SMS delivered.

Deferrable by default (the wait runs in the triggerer, sharing one poller per connection); with
``deferrable=False`` they run in ``mode="reschedule"`` and free the worker between pokes. Both paths call
the same decision (``waiting.decision.decide``). The deadline is absolute: fixed at the first try and
kept across retries and re-deferrals. A terminal failure raises ``OutcomeFailedError`` (no retry, never
skipped); ``soft_fail`` skips only when the deadline is reached. However it ends (reached, failed, deadline),
a wait first pushes its ``WaitResult`` under ``contracts.OUTCOME_XCOM_KEY`` for downstream tasks.

Imports inside methods are only those that load what a running task needs and a DAG file's parse does not
(the hooks, the API models and client, the pollers, the Legitmailer workers, the archiver: the list is
``RUNNING_MACHINERY`` in ``tests/unit/test_import_light.py``, which checks it); every other import is at the top.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from airflow.sdk import BaseOperator, BaseSensorOperator, PokeReturnValue

from airflow_provider_legallymail.address_logging import in_text
from airflow_provider_legallymail.compat import TaskDeferralTimeout
from airflow_provider_legallymail.hooks.lazy import LazyHook, legallymail_hook
from airflow_provider_legallymail.kinds import EMAIL, SIGNATURE, SMS
from airflow_provider_legallymail.links import EVIDENCE_LINKS_XCOM_KEY, MAX_EVIDENCE_LINKS, evidence_links
from airflow_provider_legallymail.waiting.tolerance import tolerance
from airflow_provider_legallymail.waiting.wait import WaitSpec, task_deadline, wait_spec

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook

SIGNATURE_EXPIRY_MARGIN = 24 * 3600.0
"""Added to the default timeout of a signature wait: the request's ``expires_at`` (a week after it was
sent) normally ends the wait first, as a failure."""
DEFER_TIMEOUT_MARGIN = 300.0


def defer_wait(task: BaseOperator, spec: WaitSpec, conn_id: str, *, carry: Any = None) -> NoReturn:
    """Defer ``task`` to ``LegallyMailWaitTrigger`` until ``spec`` is decided; resumes in ``execute_complete``.

    The trigger's kwargs carry the absolute deadline; ``defer(timeout=)`` is only a backstop for a
    triggerer that is down at the deadline (it restarts at every deferral, so it is never relied on).
    """
    from airflow_provider_legallymail.triggers.legallymail import LegallyMailWaitTrigger

    show = bool(getattr(task, "log_addresses", False))
    task.log.info("Waiting in the triggerer for %s", in_text(spec.describe(), show))
    remaining = max(0.0, spec.deadline - time.time())
    task.defer(
        trigger=LegallyMailWaitTrigger(
            spec=spec.to_json(),
            legallymail_conn_id=conn_id,
            carry=carry,
            log_addresses=show,
        ),
        method_name="execute_complete",
        timeout=timedelta(seconds=remaining + DEFER_TIMEOUT_MARGIN),
    )
    raise AssertionError("defer() returned")  # pragma: no cover - defer always raises


class _LegallyMailSensor(BaseSensorOperator):
    """Shared by the three sensors: resolving the wait, poking, deferring and finishing.

    :param settle_on: with ``target="settled"``: the success that settles a party (default: the kind's own).
    :param max_failures: with ``target="settled"``: at most this many parties may fail (default: any number).
    :param min_reached: with ``target="settled"``: at least this share (0..1) must reach ``settle_on``.
    :param deferrable: wait in the triggerer (default); False: poke from a worker (``mode``).
    :param mode: with ``deferrable=False``: ``"reschedule"`` (default; frees the worker slot between pokes)
        or ``"poke"``.
    :param timeout: seconds (or a timedelta) from the first try's start; then skip (``soft_fail``) or fail.
    :param log_addresses: name parties in full in the task log and in a failure's message (default False).
    :param ledger_path: where the deadline is kept across tries (default ``[legallymail] ledger_path``).
    :param legallymail_conn_id: the LegallyMail connection.
    """

    kind = ""
    id_field = ""
    selection_field: str | None = None
    operator_extra_links = evidence_links()
    hook: LazyHook[LegallyMailHook] = LazyHook(legallymail_hook, "legallymail_conn_id")

    def __init__(
        self,
        *,
        target: str,
        legallymail_conn_id: str = "legallymail_default",
        deferrable: bool = True,
        mode: str | None = None,
        timeout: float | timedelta | None = None,
        ledger_path: str | None = None,
        parties: Any = "all",
        settle_on: str | None = None,
        max_failures: int | None = None,
        min_reached: float | None = None,
        log_addresses: bool = False,
        **kwargs: Any,
    ) -> None:
        if timeout is not None:  # Airflow 3.1 refuses timeout=None; omitted, it reads [sensors] default_timeout
            kwargs["timeout"] = timeout
        super().__init__(mode=mode or ("poke" if deferrable else "reschedule"), **kwargs)
        self.target = target
        self.legallymail_conn_id = legallymail_conn_id
        self.deferrable = deferrable
        self.ledger_path = ledger_path
        self.explicit_timeout = timeout is not None
        self.log_addresses = log_addresses
        self.settle_on, self.max_failures, self.min_reached = settle_on, max_failures, min_reached
        if "{{" not in str(target) + str(parties):  # a bad tolerance fails when the DAG is parsed, naming the field
            tolerance(self.kind, str(target).strip().lower(), parties, **self.settle)
        self._seen: dict[str, Any] = {}
        self.legallymail_evidence_links: list[dict[str, str]] = []  # links.EVIDENCE_LINKS_ATTRIBUTE

    @property
    def settle(self) -> dict[str, Any]:
        """The ``settled`` target's tolerance as asked (``waiting/tolerance.py``)."""
        return {"settle_on": self.settle_on, "max_failures": self.max_failures, "min_reached": self.min_reached}

    def _selection(self) -> Any:
        return getattr(self, self.selection_field) if self.selection_field else "all"

    def resolve(self, context: Context) -> WaitSpec:
        """The checked wait with its absolute deadline (fixed by the first try); bad input fails here."""

        ids = getattr(self, self.id_field)  # a ValidationError here is a RefusedError: no retry, and no skip
        selection = self._selection()
        spec = wait_spec(
            self.kind, ids, self.target, selection, deadline=0.0, id_field=self.id_field, settle=self.settle
        )
        timeout = float(self.timeout)
        if self.kind == SIGNATURE.name and not self.explicit_timeout:
            timeout += SIGNATURE_EXPIRY_MARGIN
        return replace(spec, deadline=task_deadline(context, timeout, self.ledger_path))

    def execute(self, context: Context) -> Any:
        self._spec = self.resolve(context)
        if self.deferrable:
            defer_wait(self, self._spec, self.legallymail_conn_id)
        # our poke raises at the absolute deadline; keep the base class's per-try timeout from firing first
        self.timeout = max(float(self.timeout), self._spec.deadline - time.time() + self.poke_interval + 60)
        event = super().execute(context)
        return self._finish_wait(context, event)

    def _finish_wait(self, context: Context, event: dict[str, Any]) -> Any:
        """The task's end on ``event``, after pushing the evidence URLs it saw (on success) for its links.

        Deferred sensors resume in a new process, so links are pushed here, never at deferral; an empty
        list otherwise, so that the UI finds the key and shows no link.
        """
        from airflow_provider_legallymail.evidence.links import hook_origin
        from airflow_provider_legallymail.waiting.decision import REACHED, evidence_link_entries, finish

        reached = event.get("status") == REACHED and isinstance(event.get("result"), dict)
        links = evidence_link_entries(event["result"], hook_origin(self.hook), MAX_EVIDENCE_LINKS) if reached else []
        context["ti"].xcom_push(key=EVIDENCE_LINKS_XCOM_KEY, value=links)
        self.legallymail_evidence_links = links
        return finish(
            event, soft_fail=self.soft_fail, log=self.log, ti=context["ti"], show_addresses=self.log_addresses
        )

    def poke(self, context: Context) -> bool | PokeReturnValue:
        from airflow_provider_legallymail.waiting.decision import error_event, event_for, is_transient
        from airflow_provider_legallymail.waiting.observations import describe_changes, fetch_observation

        spec = self._spec
        observations: dict[str, Any] = {}
        for ident in spec.ids:
            try:
                observation = fetch_observation(self.hook, spec.kind, ident)
            except Exception as exc:
                if not is_transient(exc):
                    return PokeReturnValue(is_done=True, xcom_value=error_event(exc))
                self.log.warning("Could not check %s %s this time: %s", spec.kind, ident, exc)
                observations[ident] = self._seen.get(ident)
                continue
            for line in describe_changes(self._seen.get(ident), observation, self.log_addresses):
                self.log.info("%s", line)
            self._seen[ident] = observations[ident] = observation
        event = event_for(spec, observations, time.time())
        if event is None:
            return False
        return PokeReturnValue(is_done=True, xcom_value=event)  # a timeout too: _finish_wait records what was pending

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        return self._finish_wait(context, event)

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context) -> Any:
        """Finish on our own terms: the sensor base class would turn a declined outcome into a skip."""
        from airflow_provider_legallymail.waiting.decision import TIMEOUT, finish

        try:
            return BaseOperator.resume_execution(self, next_method, next_kwargs, context)
        except TaskDeferralTimeout as exc:
            event = {"status": TIMEOUT, "message": f"the triggerer timed the wait out ({exc})"}
            return finish(event, soft_fail=self.soft_fail, log=self.log, show_addresses=self.log_addresses)


class CertifiedEmailSensor(_LegallyMailSensor):
    """Wait until a certified email is delivered to, or read by, its recipients.

    :param tracking_id: a tracking id, a list of them, or the whole return value of
        ``SendCertifiedEmailOperator`` (an email split into several sends is waited on as a whole).
    :param target: ``"read"`` (default), ``"delivered"``, or ``"settled"``: every selected recipient has
        reached ``settle_on`` or failed (bounced, failed), within ``max_failures`` / ``min_reached``.
    :param recipients: ``"all"`` (default), ``"any"`` (not with ``settled``), or a list of addresses.
    :param settle_on: with ``settled``: ``"delivered"`` (default) or ``"read"``, the success that settles one.
    :param max_failures: with ``settled``: at most this many recipients may fail (default: any number).
    :param min_reached: with ``settled``: at least this share (0..1) must reach ``settle_on`` (default: none).
        The wait fails as soon as the tolerance can no longer be met; every outcome is in the result.
    :param deferrable: wait in the triggerer (default); False: ``mode="reschedule"``.
    :param timeout: seconds (or a timedelta) from the first try's start; then skip (``soft_fail``) or fail.
    :param log_addresses: name parties in full in the task log and in a failure's message (default False:
        counts, ids and masked forms, ``a***@example.com``; ``address_logging``). The return value and the
        ``legallymail_outcome`` XCom always hold them whole.
    :param ledger_path: where the deadline is kept across tries (default ``[legallymail] ledger_path``).
    :param legallymail_conn_id: the LegallyMail connection.
    """

    kind = EMAIL.name
    id_field = "tracking_id"
    selection_field = "recipients"
    template_fields: Sequence[str] = ("tracking_id", "target", "recipients", "legallymail_conn_id")
    ui_color = "#dbe9f6"

    def __init__(self, *, tracking_id: Any, target: str = "read", recipients: Any = "all", **kwargs: Any) -> None:
        super().__init__(target=target, parties=recipients, **kwargs)
        self.tracking_id = tracking_id
        self.recipients = recipients


class SignatureSensor(_LegallyMailSensor):
    """Wait until a document is signed. A decline, or the request's ``expires_at`` passing, fails the task.

    :param uuid: the request's uuid, or the whole return value of ``SignatureRequestOperator``.
    :param target: ``"signed"``, or ``"settled"`` (each signer signed, declined or expired; ``max_failures``
        and ``min_reached`` as for ``CertifiedEmailSensor``).
    :param signers: ``"all"`` (default), ``"any"``, or a list of signer addresses.
    :param timeout: as for ``CertifiedEmailSensor``; by default the request's ``expires_at`` ends the wait.
    """

    kind = SIGNATURE.name
    id_field = "uuid"
    selection_field = "signers"
    template_fields: Sequence[str] = ("uuid", "target", "signers", "legallymail_conn_id")
    ui_color = "#e4f0d9"

    def __init__(self, *, uuid: Any, target: str = "signed", signers: Any = "all", **kwargs: Any) -> None:
        super().__init__(target=target, parties=signers, **kwargs)
        self.uuid = uuid
        self.signers = signers


class SmsSensor(_LegallyMailSensor):
    """Wait until a certified SMS is delivered; a failed SMS fails the task.

    :param uuid: the SMS's uuid, or the whole return value of ``SmsOperator``.
    :param target: ``"delivered"``, or ``"settled"`` (delivered or failed; ``max_failures`` /
        ``min_reached`` as for ``CertifiedEmailSensor``).
    """

    kind = SMS.name
    id_field = "uuid"
    template_fields: Sequence[str] = ("uuid", "target", "legallymail_conn_id")
    ui_color = "#f6e7db"

    def __init__(self, *, uuid: Any, target: str = "delivered", **kwargs: Any) -> None:
        super().__init__(target=target, **kwargs)
        self.uuid = uuid
