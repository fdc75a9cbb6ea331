"""Legitmailer operators: template batches, contact-list sync, single and delayed sends, cancellation.

The work lives in ``template_batches``, ``contact_sync`` and ``single_send``; these classes hold the
arguments, check them (bad input fails the task at once, without retries) and wire the pieces together.
Imports inside methods are only those that load what a running task needs and a DAG file's parse does not
(the hooks, the API models and client, the pollers, the Legitmailer workers, the archiver: the list is
``RUNNING_MACHINERY`` in ``tests/unit/test_import_light.py``, which checks it); every other import is at the top.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_legallymail.address_logging import for_log
from airflow_provider_legallymail.bounded import HookPool, active_requests
from airflow_provider_legallymail.delivery.deliverer import OnRetry
from airflow_provider_legallymail.delivery.ledger import AttemptState, task_ledger
from airflow_provider_legallymail.delivery.sharded_ledger import ShardedLedger
from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.hooks.lazy import LazyHook, legitmailer_hook
from airflow_provider_legallymail.legitmailer.row_sources import row_source
from airflow_provider_legallymail.legitmailer.scratch import scratch_db
from airflow_provider_legallymail.task_documents import task_documents
from airflow_provider_legallymail.validation import fail

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_legallymail.delivery.ledger import SendLedger
    from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
    from airflow_provider_legallymail.legitmailer.row_sources import RowSource

MODES = ("upsert", "mirror")


class _LegitmailerOperator(BaseOperator):
    """The Legitmailer connection and its hook.

    :param legitmailer_conn_id: the Legitmailer connection (default ``legitmailer_default``).
    """

    def __init__(self, *, legitmailer_conn_id: str = "legitmailer_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.legitmailer_conn_id = legitmailer_conn_id

    hook: LazyHook[LegitmailerHook] = LazyHook(legitmailer_hook, "legitmailer_conn_id")


class _SourceOperator(_LegitmailerOperator):
    """Rows from a list / file (``rows_field``) or ``conn_id`` + ``sql``, sent on a few threads."""

    rows_field = "recipients"

    def __init__(
        self,
        *,
        conn_id: str | None = None,
        sql: str | None = None,
        skip_invalid: bool = False,
        max_active_requests: int = 4,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.sql = sql
        self.skip_invalid = skip_invalid
        self.max_active_requests = max_active_requests

    def checked_source(self) -> tuple[RowSource, int]:

        source = row_source(getattr(self, self.rows_field), self.conn_id, self.sql, self.rows_field)
        return source, active_requests(self.max_active_requests)


class TemplateBatchOperator(_SourceOperator):
    """Send one Legitmailer template to many recipients, in batches, checked first and sent at most once.

    :param template: the template's name (or id); its ``${tokens}`` are read from the API.
    :param recipients: a list of ``{"email", "token_map"}`` or of flat rows (``email`` + one key per token),
        e.g. an XCom; or a CSV / JSON Lines file (path, ``ObjectStoragePath`` or ``scheme://`` URL).
    :param conn_id: an Airflow SQL connection to read the recipients from, with ``sql``.
    :param sql: the query; its columns are ``email`` and the tokens.
    :param batch_size: recipients per ``POST /api/batch/email/template``.
    :param validate: ask the API to validate addresses before sending.
    :param max_active_requests: batches in flight at once (1..32).
    :param dedupe: send once per address (case-insensitive); later duplicates are skipped.
    :param skip_invalid: skip bad rows (and count batches the API refuses as failed) instead of failing.
    :param dry_run: check every row against the template and return the plan (counts, batches, problems);
        send nothing and record nothing. Bad rows fail it as they would fail the real send.
    :param on_retry: ``adopt`` (default), ``resend`` or ``fail``: what a retry does with earlier batches.
    :param ledger_path: where batches are recorded across tries (default ``[legallymail] ledger_path``).
    :param legitmailer_conn_id: the Legitmailer connection.
    """

    template_fields: Sequence[str] = ("template", "recipients", "sql", "conn_id", "legitmailer_conn_id")
    template_fields_renderers = {"recipients": "json", "sql": "sql"}
    ui_color = "#e8f4ea"

    def __init__(
        self,
        template: str,
        recipients: Any = None,
        *,
        batch_size: int = 100,
        validate: bool = False,
        dedupe: bool = True,
        dry_run: bool = False,
        on_retry: str | OnRetry = OnRetry.ADOPT,
        ledger_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.template = template
        self.recipients = recipients
        self.batch_size = batch_size
        self.validate = validate
        self.dedupe = dedupe
        self.is_dry_run = dry_run  # BaseOperator.dry_run is a method
        self.on_retry = OnRetry.parse(on_retry).value
        self.ledger_path = ledger_path

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_legallymail.legitmailer.template_batches import (
            Sender,
            check_recipients,
            shard_of,
            spooled_batches,
            template_tokens,
        )

        source, max_active = self.checked_source()
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise fail("batch_size", f"{self.batch_size!r} is not a positive whole number")
        ti = context["ti"]
        ledger = ShardedLedger(task_documents(context, self.ledger_path), shard_of=shard_of)
        if not self.is_dry_run:
            ledger.load().start_try(ti.try_number)  # before any request, so a retry knows this try began
        tokens = template_tokens(self.hook, self.template)
        with scratch_db("batch") as (db, _):
            checked = check_recipients(db, source, tokens, dedupe=self.dedupe)
            batches = math.ceil(checked.to_send / self.batch_size)
            self.log.info(
                "Template %r (tokens: %s): %d row(s) from %s; %d to send in %d batch(es), %d duplicate(s), %d invalid",
                self.template,
                ", ".join(tokens) or "none",
                checked.rows,
                source.describe(),
                checked.to_send,
                batches,
                checked.duplicates,
                checked.invalid.count,
            )
            if checked.invalid and not self.skip_invalid:
                raise ValidationError(checked.invalid.report() + "\nNothing was sent.")
            if checked.invalid:
                self.log.warning("Skipping invalid rows (skip_invalid=True):\n%s", checked.invalid.report())
            if self.is_dry_run:
                self.log.info("Dry run: nothing was sent")
                return {
                    "dry_run": True,
                    "to_send": checked.to_send,
                    "batches": batches,
                    "skipped": checked.duplicates + checked.invalid.count,
                    "duplicates": checked.duplicates,
                    "invalid": checked.invalid.count,
                    "problems": checked.invalid.first,
                }
            sender = Sender(
                HookPool(self.hook), ledger, self.template, self.validate, OnRetry(self.on_retry), ti.try_number
            )
            sender.check_same_batches(spooled_batches(db, self.batch_size))
            sender.run(spooled_batches(db, self.batch_size), max_active, batches)
        sender.raise_if_needed(self.skip_invalid)
        return {
            "sent": sender.sent,
            "skipped": checked.duplicates + checked.invalid.count,
            "failed": sender.failed,
            "duplicates": checked.duplicates,
            "invalid": checked.invalid.count,
            "problems": checked.invalid.first,
            "batches": sender.batches,
        }


class ContactSyncOperator(_SourceOperator):
    """Make a Legitmailer contact list match a source, writing only what changed since the last sync.

    :param contact_list: the list's id or name.
    :param source: rows with the ``key`` column, ``email`` and the list's data columns: a list (XCom), a
        CSV / JSON Lines file (path, ``ObjectStoragePath``, URL); or use ``conn_id`` + ``sql``.
    :param conn_id: an Airflow SQL connection to read the rows from, with ``sql``.
    :param sql: the query.
    :param key: the column holding the customer id.
    :param mode: ``upsert`` (add and update) or ``mirror`` (also delete ids that left the source).
    :param dry_run: return the plan (counts and the first ids of each kind); write nothing.
    :param snapshot_path: directory (``ObjectStoragePath`` / URL) of the snapshots; default
        ``file://$AIRFLOW_HOME/legallymail/contact-snapshots``.
    :param skip_invalid: skip bad rows (and count rows the API refuses as failed) instead of failing.
    :param max_active_requests: requests in flight at once (1..32).
    :param legitmailer_conn_id: the Legitmailer connection.
    """

    rows_field = "source"
    template_fields: Sequence[str] = (
        "contact_list",
        "source",
        "sql",
        "conn_id",
        "snapshot_path",
        "legitmailer_conn_id",
    )
    template_fields_renderers = {"source": "json", "sql": "sql"}
    ui_color = "#eae8f4"

    def __init__(
        self,
        contact_list: str,
        source: Any = None,
        *,
        key: str = "customer_id",
        mode: str = "upsert",
        dry_run: bool = False,
        snapshot_path: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(f"mode: {mode!r} is not one of {', '.join(MODES)}")
        self.contact_list = contact_list
        self.source = source
        self.key = key
        self.mode = mode
        self.is_dry_run = dry_run  # BaseOperator.dry_run is a method
        self.snapshot_path = snapshot_path

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_legallymail.legitmailer.contact_sync import SyncRequest, sync_contacts

        source, max_active = self.checked_source()
        if not str(self.key or "").strip() or self.key == "email":
            raise fail("key", f"{self.key!r} cannot be the customer id column")
        request = SyncRequest(
            contact_list=self.contact_list,
            key=self.key,
            mirror=self.mode == "mirror",
            dry_run=self.is_dry_run,
            snapshot_path=self.snapshot_path,
            skip_invalid=self.skip_invalid,
            max_active=max_active,
        )
        return sync_contacts(self.hook, source, request)


class LegitmailerSendEmailOperator(_LegitmailerOperator):
    """Send one Legitmailer email, plain or from a template, now or later; at most once across retries.

    Plain: ``from_address``, ``to_address``, ``subject``, ``body``, ``content_type``. Template: ``template``,
    ``email`` (or ``to_address``) and ``token_map``. ``delay`` (a ``timedelta`` or seconds) or ``send_at``
    (a datetime; naive means UTC; past means now) queues it. Returns the tracking id, or the request id of
    a queued email. With ``wait_until_sent`` the task lasts until the send time, and cancels the queued
    email if it is killed before then.

    :param to_address: the recipient (or ``email``, the same; not both).
    :param from_address: the sender (plain emails).
    :param subject: the subject (plain emails).
    :param body: the body (plain emails).
    :param content_type: the body's type (default ``text/html``).
    :param template: a Legitmailer template's name (template emails).
    :param email: the recipient of a template email (or ``to_address``).
    :param token_map: the template's tokens, a mapping (or an XCom value).
    :param delay: queue the email for this long (a ``timedelta`` or seconds).
    :param send_at: queue the email until this datetime (naive means UTC; past means now).
    :param validate: check the recipient address with Legitmailer before sending (default False).
    :param wait_until_sent: with ``delay`` / ``send_at``: the task lasts until the send time and cancels the
        queued email if it is killed before then (default False).
    :param on_retry: ``adopt`` (default), ``resend`` or ``fail``.
    :param ledger_path: where the attempt is recorded across tries.
    :param poke_interval: seconds between checks of the clock while waiting.
    :param log_addresses: name the recipient in full in the task log (default False: ``a***@example.com``),
        as on the LegallyMail operators (``address_logging``).
    """

    template_fields: Sequence[str] = (
        "from_address",
        "to_address",
        "subject",
        "body",
        "template",
        "token_map",
        "delay",
        "send_at",
        "legitmailer_conn_id",
    )
    template_fields_renderers = {"body": "html", "token_map": "json"}
    ui_color = "#f4efe8"

    def __init__(
        self,
        *,
        to_address: str | None = None,
        from_address: str | None = None,
        subject: str | None = None,
        body: str | None = None,
        content_type: str = "text/html",
        template: str | None = None,
        email: str | None = None,
        token_map: Any = None,
        delay: Any = None,
        send_at: Any = None,
        validate: bool = False,
        wait_until_sent: bool = False,
        poke_interval: float = 30.0,
        on_retry: str | OnRetry = OnRetry.ADOPT,
        ledger_path: str | None = None,
        log_addresses: bool = False,
        **kwargs: Any,
    ) -> None:
        if email is not None and to_address is not None:
            raise ValueError("give the recipient as email or to_address, not both")
        super().__init__(**kwargs)
        self.to_address = email if email is not None else to_address  # BaseOperator.email is for alerts
        self.from_address = from_address
        self.subject = subject
        self.body = body
        self.content_type = content_type
        self.template = template
        self.token_map = token_map
        self.delay = delay
        self.send_at = send_at
        self.validate = validate
        self.wait_until_sent = wait_until_sent
        self.poke_interval = poke_interval
        self.on_retry = OnRetry.parse(on_retry).value
        self.ledger_path = ledger_path
        self.log_addresses = log_addresses
        self._queued: tuple[str, SendLedger, str] | None = None
        self._kill_outcome: str | None = None

    def execute(self, context: Context) -> str:
        from airflow.exceptions import AirflowException  # type: ignore[attr-defined]  # re-exported in 3.2+

        from airflow_provider_legallymail.delivery.deliverer import Deliverer
        from airflow_provider_legallymail.legitmailer.single_send import OutgoingEmail, clock, delay_of, wait_until

        email = OutgoingEmail(
            self.to_address,
            self.from_address,
            self.subject,
            self.body,
            self.content_type,
            self.template,
            self.token_map,
            self.validate,
        )
        email.check()
        delay = delay_of(self.delay, self.send_at, clock())
        ti = context["ti"]
        ledger = task_ledger(context, self.ledger_path, index_sent=False)  # not a LegallyMail email
        ledger.start_try(ti.try_number)
        unit = email.unit(self.hook, delay)
        result = Deliverer(ledger, OnRetry(self.on_retry), ti.try_number, None).deliver(unit)
        to = for_log(self.to_address, self.log_addresses)
        if "request_id" not in result:
            self.log.info("Legitmailer email to %s: tracking id %s", to, result["tracking_id"])
            return str(result["tracking_id"])
        request_id = str(result["request_id"])
        self.log.info("Legitmailer email to %s queued as request %s, due at %s", to, request_id, result.get("send_at"))
        if self.wait_until_sent and result.get("send_at"):
            self._queued = (request_id, ledger, unit.key)
            self._kill_outcome = None
            wait_until(str(result["send_at"]), self.poke_interval, stopped=lambda: self._kill_outcome is not None)
            self._queued = None
            if self._kill_outcome is not None:  # SIGTERM calls on_kill and lets execute go on
                raise AirflowException(f"the task was killed while waiting: {self._kill_outcome}")
        return request_id

    def on_kill(self) -> None:
        """Killed while waiting for a queued email: cancel it, and record it as not sent."""
        queued, self._queued = self._queued, None
        if queued is None:
            return

        request_id, ledger, key = queued
        try:
            self.hook.cancel_queued_email(request_id)
        except Exception as exc:
            self.log.exception("Could not cancel the queued email %s", request_id)
            self._kill_outcome = f"the queued email {request_id} could not be cancelled ({type(exc).__name__})"
            return
        ledger.finish(key, AttemptState.NOT_PROCESSED, error="cancelled when the task was killed")
        self._kill_outcome = f"the queued email {request_id} was cancelled"
        self.log.info("Cancelled the queued email %s", request_id)


class CancelDelayedEmailOperator(_LegitmailerOperator):
    """Cancel a queued (delayed) Legitmailer email by its request id.

    Fails without retries when the API answers 400: the email was already sent, already cancelled, or the
    id is unknown.

    :param request_id: the id returned by a delayed send (e.g. an XCom of ``LegitmailerSendEmailOperator``).
    :param legitmailer_conn_id: the Legitmailer connection.
    """

    template_fields: Sequence[str] = ("request_id", "legitmailer_conn_id")

    def __init__(self, *, request_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.request_id = request_id

    def execute(self, context: Context) -> None:

        self.hook.cancel_queued_email(self.request_id)
        self.log.info("Cancelled the queued email %s", self.request_id)
