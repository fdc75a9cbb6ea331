"""Campaigns from rows: a certified email per row (``CertifiedMailMergeOperator``) and a signature request per row
(``SignatureRequestMergeOperator``), in one task, each row sent exactly once across retries and worker loss.

Both read rows from the sources of the Legitmailer batch (``legitmailer.row_sources``: a list or XCom, a CSV /
JSON Lines path, ``ObjectStoragePath`` or URL, or ``conn_id`` + ``sql``), check every row first (pass 1, into a
scratch SQLite file: memory does not grow with the rows), then send them one by one through the ledger
(pass 2). The work lives in ``campaigns/``. Imports inside methods are only those that load what a running
task needs and a DAG file's parse does not (``RUNNING_MACHINERY`` in ``tests/unit/test_import_light.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_legallymail.delivery.deliverer import OnRetry
from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.hooks.lazy import LazyHook, legallymail_hook
from airflow_provider_legallymail.kinds import EMAIL, SIGNATURE
from airflow_provider_legallymail.legitmailer.row_sources import row_source
from airflow_provider_legallymail.links import LINKS_XCOM_KEY, LegallyMailDashboardLink
from airflow_provider_legallymail.validation import fail

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_legallymail.campaigns.rows import EmailRows, SignatureRows
    from airflow_provider_legallymail.campaigns.send import Campaign
    from airflow_provider_legallymail.campaigns.spool import Item, Spooled
    from airflow_provider_legallymail.delivery.deliverer import SendUnit
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook


class _MergeOperator(BaseOperator):
    """Shared by both: the row source, pass 1, the ledger, the credit check, pass 2 and the results."""

    kind: str = ""
    id_column: str = "id"
    checks_email_credits = False
    template_fields: Sequence[str] = ("rows", "sql", "conn_id", "results_path", "legallymail_conn_id")
    template_fields_renderers = {"rows": "json", "sql": "sql"}
    operator_extra_links = (LegallyMailDashboardLink(),)

    def __init__(
        self,
        *,
        rows: Any = None,
        conn_id: str | None = None,
        sql: str | None = None,
        key_column: str | None = None,
        results_path: Any = None,
        skip_invalid: bool = False,
        dry_run: bool = False,
        on_retry: str | OnRetry = OnRetry.ADOPT,
        ledger_path: str | None = None,
        legallymail_conn_id: str = "legallymail_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rows = rows
        self.conn_id = conn_id
        self.sql = sql
        self.key_column = key_column
        self.results_path = results_path
        self.skip_invalid = skip_invalid
        self.is_dry_run = dry_run  # BaseOperator.dry_run is a method
        self.on_retry = OnRetry.parse(on_retry).value
        self.ledger_path = ledger_path
        self.legallymail_conn_id = legallymail_conn_id

    hook: LazyHook[LegallyMailHook] = LazyHook(legallymail_hook, "legallymail_conn_id")

    def planner(self) -> EmailRows | SignatureRows:
        raise NotImplementedError

    def unit(self, item: Item) -> SendUnit:
        raise NotImplementedError

    def spool_options(self) -> dict[str, Any]:
        return {}

    def summarize(self, campaign: Campaign, base: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_legallymail.campaigns.ledger import LazyShardLedger
        from airflow_provider_legallymail.campaigns.rows import shard_of
        from airflow_provider_legallymail.campaigns.send import Campaign, check_credits, to_send, write_results
        from airflow_provider_legallymail.campaigns.spool import spool
        from airflow_provider_legallymail.delivery.deliverer import Deliverer
        from airflow_provider_legallymail.legitmailer.scratch import scratch_db
        from airflow_provider_legallymail.task_documents import task_documents

        source = row_source(self.rows, self.conn_id, self.sql, "rows")
        planner = self.planner()
        ti = context["ti"]
        ledger = LazyShardLedger(task_documents(context, self.ledger_path), shard_of=shard_of).load()
        if not self.is_dry_run:
            ledger.start_try(ti.try_number)  # before any request, so a retry knows this try began
        with scratch_db("merge") as (db, _):
            checked = spool(db, source, planner.plan, **self.spool_options())
            self._log_checked(checked, source.describe())
            if checked.invalid and not self.skip_invalid:
                raise ValidationError(checked.invalid.report() + "\nNothing was sent.")
            if checked.invalid:
                self.log.warning("Skipping invalid rows (skip_invalid=True):\n%s", checked.invalid.report())
            need, already = to_send(db, ledger)
            remaining = self.hook.get_account_info().user.remaining_emails if self.checks_email_credits else None
            plan = {
                "rows": checked.rows,
                "to_send": need,
                "already_sent": already,
                "duplicates": checked.duplicates,
                "invalid": checked.invalid.count,
                "problems": checked.invalid.first,
            }
            if self.checks_email_credits:
                plan["credits"] = {"needed": need, "remaining": remaining}
                self.log.info("Credits: %d email(s) to send, %s remaining", need, remaining)
                check_credits(remaining, need)
            if self.is_dry_run:
                self.log.info("Dry run: nothing was sent")
                return {"dry_run": True, **plan}
            settings = self.hook.settings
            deliverer = partial(
                Deliverer,
                ledger,
                OnRetry(self.on_retry),
                ti.try_number,
                getattr(context.get("dag_run"), "start_date", None),
                resend_accepted=False,  # "resend" sends again only rows that may not have gone out
                settle_seconds=settings.timeout + settings.settle_seconds,
            )
            campaign = Campaign(db, deliverer, self.unit, self.id_of)
            try:
                campaign.run(checked.to_send)
            finally:
                if self.results_path:
                    plan["results_path"] = write_results(campaign, self.results_path, self.id_column)
            self._push_links(ti)
            return self.summarize(campaign, {**plan, "sent": campaign.sent, "adopted": campaign.adopted})

    def _push_links(self, ti: Any) -> None:
        """The dashboard link (links are a convenience: never fail a task that has sent)."""
        from airflow_provider_legallymail.evidence.links import link_url

        try:
            settings = self.hook.settings
            dashboard = link_url(f"{settings.base_url}/dashboard", settings.origin, "dashboard")
            ti.xcom_push(key=LINKS_XCOM_KEY, value={"dashboard": dashboard or ""})
        except Exception:
            self.log.warning("Could not compute the extra links", exc_info=True)

    def _log_checked(self, checked: Spooled, where: str) -> None:
        self.log.info(
            "%d row(s) from %s: %d to send, %d duplicate(s), %d invalid",
            checked.rows,
            where,
            checked.to_send,
            checked.duplicates,
            checked.invalid.count,
        )

    def id_of(self, result: dict[str, Any]) -> str:
        return str(result[self.id_column])


class CertifiedMailMergeOperator(_MergeOperator):
    """A certified email per row, each with its own subject, body and attachments (a mail merge).

    :param rows: a list of mappings (an XCom), a CSV / JSON Lines file (path, ``ObjectStoragePath``, URL).
    :param conn_id: an Airflow SQL connection to read the rows from, with ``sql``.
    :param sql: the query (give it an ``ORDER BY``).
    :param subject: a Jinja template rendered per row with the row's columns (``"Notice for {{ name }}"``);
        default: each row's ``subject`` column.
    :param html: a Jinja template (inline, or a path to a ``.html`` / ``.j2`` file) rendered per row, values
        HTML-escaped; default: each row's ``html`` column, as given.
    :param email_column: the column with the recipient's address.
    :param attachments_column: the column with the row's attachments: paths or URLs, a JSON list or separated
        by ``;`` (optional in each row).
    :param max_attachment_bytes: at most this many bytes of attachments per email (default 10 MB).
    :param repeat_recipients: allow two rows with different content for the same address (default False: a
        problem). Identical rows are sent once either way.
    :param key_column: a column naming each row (e.g. ``customer_id``): the result maps it to the tracking id.
    :param results_path: also write ``row,key,tracking_id,status,adopted`` per row to this CSV at the end.
    :param reply_to: a reply-to address registered and verified in the account, for every row.
    :param reply_to_name: its display name.
    :param skip_invalid: send the valid rows and report the others, instead of sending nothing.
    :param dry_run: check every row and the credits, send nothing, return the plan.
    :param on_retry: ``adopt`` (default), ``resend`` (also sends rows whose outcome is unknown) or ``fail``.
    :param ledger_path: where each row's attempts are recorded across tries.
    :param legallymail_conn_id: the LegallyMail connection.
    """

    kind = EMAIL.name
    id_column = "tracking_id"
    checks_email_credits = True
    template_fields: Sequence[str] = (*_MergeOperator.template_fields, "reply_to", "reply_to_name")
    ui_color = "#dbe9f6"

    def __init__(
        self,
        *,
        subject: str | None = None,
        html: str | None = None,
        email_column: str = "email",
        attachments_column: str = "attachments",
        max_attachment_bytes: int | None = None,
        repeat_recipients: bool = False,
        reply_to: str | None = None,
        reply_to_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.subject = subject
        self.html = html
        self.email_column = email_column
        self.attachments_column = attachments_column
        self.max_attachment_bytes = max_attachment_bytes
        self.repeat_recipients = repeat_recipients
        self.reply_to = reply_to
        self.reply_to_name = reply_to_name

    def planner(self) -> EmailRows:
        from airflow_provider_legallymail.campaigns.rows import ATTACHMENT_MAX_BYTES, EmailRows

        limit = self.max_attachment_bytes if self.max_attachment_bytes is not None else ATTACHMENT_MAX_BYTES
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise fail("max_attachment_bytes", f"{limit!r} is not a whole number of bytes")
        return EmailRows(
            subject=self.subject,
            html=self.html,
            email_column=self.email_column,
            attachments_column=self.attachments_column,
            key_column=self.key_column,
            max_attachment_bytes=limit,
        )

    def spool_options(self) -> dict[str, Any]:
        return {"repeat_recipients": self.repeat_recipients, "recipient_column": self.email_column}

    def unit(self, item: Item) -> SendUnit:
        from airflow_provider_legallymail.delivery.deliverer import SendUnit
        from airflow_provider_legallymail.delivery.lost_sends import find_email

        data = item.data
        return SendUnit(
            key=item.key,
            kind=self.kind,
            request={"recipients": [data["email"]], "subject": data["subject"], "row": item.number},
            send=partial(self._send, data),
            lookup=partial(find_email, self.hook),
        )

    def _send(self, data: dict[str, Any]) -> dict[str, Any]:
        payload = self.hook.email_payload(
            [str(data["email"])],
            str(data["subject"]),
            str(data["html"]),
            reply_to=self.reply_to,
            reply_to_name=self.reply_to_name,
            attachments=list(data["attachments"]) or None,
        )
        return self.post(payload)

    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``POST /api/send`` for one row; the email's summary (``EmailSend``)."""
        from airflow_provider_legallymail.models.legallymail_summaries import email_summary

        return email_summary(self.hook.post_email(payload))

    def summarize(self, campaign: Campaign, base: dict[str, Any]) -> dict[str, Any]:
        """``EmailSendSummary``'s ids (``tracking_ids``, ``parent_tracking_ids``), so sensors and the archive
        accept it, without ``sends`` per row (an XCom of 10,000 of them would be megabytes)."""
        tracking_ids: dict[str, str] = {}
        parents: list[str] = []
        by_key: dict[str, str] = {}
        for _, row_key, who, ident, _, _ in campaign.ids():
            tracking_ids[who] = ident
            parents.append(ident)
            if row_key is not None:
                by_key[row_key] = ident
        status = "sent" if parents and len(parents) == base["to_send"] + base["already_sent"] else "partial"
        summary = {**base, "sends": [], "tracking_ids": tracking_ids, "parent_tracking_ids": parents, "status": status}
        return {**summary, "by_key": by_key} if self.key_column else summary


class SignatureRequestMergeOperator(_MergeOperator):
    """A signature request per row (contracts from a table), each sent exactly once across retries.

    Each row names its PDF (``document_column``: a path or URL) and its signers: a ``signers`` column holding
    a JSON list of ``{"name", "email", "phone"?}``, or the columns ``signer_name``, ``signer_email`` and
    ``signer_phone`` (optional) for one signer. The uuids come back through ``key_column`` (the result's
    ``by_key`` maps each row's key to its uuid) and ``results_path`` (a CSV ``row,key,uuid,status,adopted``).

    :param rows: a list of mappings (an XCom), a CSV / JSON Lines file (path, ``ObjectStoragePath``, URL).
    :param conn_id: an Airflow SQL connection to read the rows from, with ``sql``.
    :param sql: the query (give it an ``ORDER BY``).
    :param document_column: the column with the PDF's path or URL (at most 10 MB).
    :param document_name_column: the column with the name signers see (default: the file's name).
    :param signers_column: the column with a JSON list of signers.
    :param language: ``es`` (default), ``en``, ``fr`` or ``it``, for every row.
    :param key_column: a column naming each row (e.g. ``contract_id``).
    :param results_path: write ``row,key,uuid,status,adopted`` per row to this CSV at the end.
    :param skip_invalid: send the valid rows and report the others, instead of sending nothing.
    :param dry_run: check every row, send nothing, return the plan.
    :param on_retry: ``adopt`` (default), ``resend`` or ``fail``.
    :param ledger_path: where each row's attempts are recorded across tries.
    :param legallymail_conn_id: the LegallyMail connection.
    """

    kind = SIGNATURE.name
    id_column = "uuid"
    template_fields: Sequence[str] = (*_MergeOperator.template_fields, "language")
    ui_color = "#e4f0d9"

    def __init__(
        self,
        *,
        document_column: str = "document",
        document_name_column: str = "document_name",
        signers_column: str = "signers",
        language: str = "es",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.document_column = document_column
        self.document_name_column = document_name_column
        self.signers_column = signers_column
        self.language = language

    def planner(self) -> SignatureRows:
        from airflow_provider_legallymail.campaigns.rows import SignatureRows

        return SignatureRows(
            document_column=self.document_column,
            document_name_column=self.document_name_column,
            signers_column=self.signers_column,
            key_column=self.key_column,
        )

    def unit(self, item: Item) -> SendUnit:
        from airflow_provider_legallymail.delivery.deliverer import SendUnit
        from airflow_provider_legallymail.delivery.lost_sends import find_signature

        data = item.data
        emails = [s["email"] for s in data["signers"]]  # type: ignore[attr-defined]
        return SendUnit(
            key=item.key,
            kind=self.kind,
            request={"document_name": data["document_name"], "signer_emails": emails, "row": item.number},
            send=partial(self._send, data),
            lookup=partial(find_signature, self.hook),
        )

    def _send(self, data: dict[str, Any]) -> dict[str, Any]:
        payload = self.hook.signature_payload(
            data["document"], str(data["document_name"]), list(data["signers"]), language=self.language
        )
        return self.post(payload)

    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``POST /api/signature/send`` for one row; the request's summary (``SignatureSend``)."""
        from airflow_provider_legallymail.models.legallymail_summaries import signature_summary

        return signature_summary(self.hook.post_signature(payload))

    def summarize(self, campaign: Campaign, base: dict[str, Any]) -> dict[str, Any]:
        uuids: list[str] = []
        by_key: dict[str, str] = {}
        for _, row_key, _, ident, _, _ in campaign.ids():
            uuids.append(ident)
            if row_key is not None:
                by_key[row_key] = ident
        return {**base, "uuids": uuids, "by_key": by_key}
