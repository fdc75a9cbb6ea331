"""Operators that send certified emails, signature requests and certified SMS exactly once across retries.

See ``airflow_provider_legallymail.delivery.deliverer`` for how a retry adopts what an earlier try sent.

Imports inside methods are only those that load what a running task needs and a DAG file's parse does not
(the hooks, the API models and client, the pollers, the Legitmailer workers, the archiver: the list is
``RUNNING_MACHINERY`` in ``tests/unit/test_import_light.py``, which checks it); every other import is at the top.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from airflow.sdk import BaseOperator

from airflow_provider_legallymail.address_logging import for_log, listed
from airflow_provider_legallymail.contracts import EmailSend, EmailSendSummary
from airflow_provider_legallymail.delivery import resends
from airflow_provider_legallymail.delivery.deliverer import Deliverer, OnRetry
from airflow_provider_legallymail.delivery.ledger import task_ledger
from airflow_provider_legallymail.exceptions import OutcomeFailedError
from airflow_provider_legallymail.hooks.lazy import LazyHook, legallymail_hook
from airflow_provider_legallymail.kinds import EMAIL, SIGNATURE, SMS
from airflow_provider_legallymail.links import (
    LINKS_XCOM_KEY,
    LegallyMailDashboardLink,
    SignatureDocumentLink,
    SignedDocumentLink,
)
from airflow_provider_legallymail.models.attachments import to_attachments
from airflow_provider_legallymail.statuses import EmailStatus
from airflow_provider_legallymail.storage import digest
from airflow_provider_legallymail.validation import address_list, fail, parse_rendered
from airflow_provider_legallymail.waiting.wait import check_wait_arguments, wait_spec_after_send

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_legallymail.delivery.deliverer import SendUnit
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook

SENDS_XCOM_KEY = "legallymail_sends"


def _failed(recipient: dict[str, Any]) -> bool:

    return EmailStatus.parse(recipient.get("status")).is_failure


class _LegallyMailSendOperator(BaseOperator):
    """Shared by the three operators: hook, ledger, the exactly-once loop, XCom and links.

    :param wait_for: wait in the same task, deferred in the triggerer, after sending: ``"read"`` or
        ``"delivered"`` (certified email), ``"signed"`` (signature request), ``"delivered"`` (SMS), or
        ``"settled"`` (each party reached the target or failed). Default None: return once sent. The
        return value then holds the wait's outcome under ``"wait"``; a retry adopts the send and waits
        again until the same deadline.
    :param wait_recipients: the parties to wait for: ``"all"`` (default), ``"any"``, or a list of addresses.
    :param wait_timeout: seconds (or a timedelta) the wait may last (default: 7 days for an email, 8 for a
        signature request, whose expiry after a week fails the wait first, 1 for an SMS).
    :param wait_settle_on: with ``wait_for="settled"``: the success that settles a party (as the sensors'
        ``settle_on``).
    :param wait_max_failures: with ``wait_for="settled"``: at most this many parties may fail.
    :param wait_min_reached: with ``wait_for="settled"``: at least this share (0..1) must reach the target.
    :param log_addresses: name recipients in full in the task log (default False: counts, ids and masked
        forms such as ``a***@example.com``; see ``address_logging``).
    """

    kind: str = ""

    def __init__(
        self,
        *,
        legallymail_conn_id: str = "legallymail_default",
        on_retry: str | OnRetry = OnRetry.ADOPT,
        ledger_path: str | None = None,
        wait_for: str | None = None,
        wait_recipients: Any = "all",
        wait_timeout: float | timedelta | None = None,
        wait_settle_on: str | None = None,
        wait_max_failures: int | None = None,
        wait_min_reached: float | None = None,
        log_addresses: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.legallymail_conn_id = legallymail_conn_id
        self.log_addresses = log_addresses
        self.on_retry = OnRetry.parse(on_retry).value
        self.ledger_path = ledger_path
        self.wait_for, self.wait_recipients = wait_for, wait_recipients
        self.wait_timeout = wait_timeout.total_seconds() if isinstance(wait_timeout, timedelta) else wait_timeout
        # wait_for="settled": wait_settle_on, wait_max_failures, wait_min_reached (see waiting/tolerance.py)
        self.wait_settle = {
            "settle_on": wait_settle_on,
            "max_failures": wait_max_failures,
            "min_reached": wait_min_reached,
        }
        if wait_for is not None:  # bad wait arguments fail when the DAG is parsed, before anything is sent
            check_wait_arguments(self.kind, wait_for, wait_recipients, self.wait_timeout, self.wait_settle)

    hook: LazyHook[LegallyMailHook] = LazyHook(legallymail_hook, "legallymail_conn_id")

    def build_units(self) -> list[SendUnit]:
        raise NotImplementedError

    def summarize(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        raise NotImplementedError

    def links(self, results: list[dict[str, Any]]) -> dict[str, str]:
        """URLs of this task's extra links, each allowed by ``evidence.links.link_url`` ("" when dropped)."""
        from airflow_provider_legallymail.evidence.links import link_url

        dashboard = link_url(f"{self.hook.settings.base_url}/dashboard", self.hook.settings.origin, "dashboard")
        return {"dashboard": dashboard or ""}

    def shown(self, address: str | None) -> str:
        """A recipient as this task's log names it (``address_logging``: masked unless ``log_addresses``)."""
        return for_log(address, self.log_addresses)

    def sent_line(self, result: dict[str, Any]) -> str:
        """One log line for one unit that went out (or was adopted): what, to whom (``shown``), the ids, the cost."""
        raise NotImplementedError

    def summary_line(self, results: list[dict[str, Any]]) -> str | None:
        """A closing log line when several units went out, or None."""
        return None

    def execute(self, context: Context) -> dict[str, Any]:
        self.legallymail_links: dict[str, str] = {}  # links.LINKS_ATTRIBUTE: what this task's extra links show
        units = self.build_units()  # every check runs before anything is sent; a ValidationError is not retried
        results = self.deliver(context, self.deliverer(context), units)
        return self.after_sending(context, results)

    def deliverer(self, context: Context) -> Deliverer:
        """This try's ``Deliverer``, on the task instance's ledger (the try recorded in it)."""
        ti = context["ti"]
        ledger = task_ledger(context, self.ledger_path)
        ledger.start_try(ti.try_number)
        dag_run = context.get("dag_run")
        settings = self.hook.settings
        return Deliverer(
            ledger,
            OnRetry(self.on_retry),
            ti.try_number,
            getattr(dag_run, "start_date", None),
            settle_seconds=settings.timeout + settings.settle_seconds,  # when a lost send can no longer commit
        )

    def deliver(
        self, context: Context, deliverer: Deliverer, units: list[SendUnit], done: Sequence[dict[str, Any]] = ()
    ) -> list[dict[str, Any]]:
        """``done`` (what this task already sent) followed by each unit, delivered at most once."""
        ti = context["ti"]
        results: list[dict[str, Any]] = list(done)
        for unit in units:
            results.append(deliverer.deliver(unit))
            ti.xcom_push(key=SENDS_XCOM_KEY, value=results)  # the ids are kept before anything else can fail
            adopted = " (adopted what an earlier attempt sent; nothing new went out)" if results[-1]["adopted"] else ""
            self.log.info("%s%s", self.sent_line(results[-1]), adopted)
        return results

    def after_sending(self, context: Context, results: list[dict[str, Any]]) -> dict[str, Any]:
        """The summary, the extra links, and with ``wait_for`` the deferral."""
        self.legallymail_links = {}
        if (closing := self.summary_line(results)) is not None:
            self.log.info("%s", closing)
        summary = self.summarize(results)
        try:
            self.legallymail_links = self.links(results)
            context["ti"].xcom_push(key=LINKS_XCOM_KEY, value=self.legallymail_links)
        except Exception:  # links are a convenience; never fail a task that has sent
            self.log.warning("Could not compute the extra links", exc_info=True)
        return self.wait_for_outcome(context, summary)

    def wait_for_outcome(self, context: Context, summary: dict[str, Any]) -> dict[str, Any]:
        """With ``wait_for``: defer in this task until the outcome (the send is not repeated on resume)."""
        if self.wait_for is None:
            return summary
        from airflow_provider_legallymail.sensors.legallymail import defer_wait

        spec = wait_spec_after_send(
            self.kind,
            summary,
            self.wait_for,
            self.wait_recipients,
            context,
            self.wait_timeout,
            self.ledger_path,
            self.wait_settle,
            deadline_name=self.deadline_name(summary),
        )
        defer_wait(self, spec, self.legallymail_conn_id, carry=summary)

    def deadline_name(self, summary: dict[str, Any]) -> str | None:
        """Where the wait for ``summary`` keeps its deadline (None: the task's one deadline)."""
        return None

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """The send summary with the wait's outcome under ``"wait"``; a failed outcome fails the task. Either
        way the outcome is pushed first under ``contracts.OUTCOME_XCOM_KEY``."""
        from airflow_provider_legallymail.waiting.decision import finish

        outcome = finish(event, soft_fail=False, log=self.log, ti=context["ti"], show_addresses=self.log_addresses)
        return {**event.get("carry", {}), "wait": outcome}


class SendCertifiedEmailOperator(_LegallyMailSendOperator):
    """Send a certified email (legal proof of delivery and reading) to one or more recipients.

    :param recipients: a list, a comma-separated string, or an XCom result. More recipients than the
        connection's ``max_recipients`` (10) are split into several sends, each with its own parent
        tracking id, unless ``split_recipients=False`` (then they are rejected before sending).
    :param subject: the subject.
    :param html: the HTML body, or a path to a ``.html`` / ``.j2`` Jinja template file.
    :param reply_to: a reply-to address registered and verified in the account.
    :param reply_to_name: the reply-to display name.
    :param attachments: paths, ``ObjectStoragePath`` s (``s3://``, ``file://`` ...), or mappings
        ``{"content": bytes, "filename": ..., "mime_type"?: ...}``.
    :param split_recipients: send in batches of ``max_recipients`` (default True).
    :param one_email_per_recipient: send each recipient a certified email of its own (one send each, exactly
        once each), so that no recipient can see another's address (default False: one email to several).
    :param on_retry: ``adopt`` (default), ``resend`` or ``fail``: see the docs page "Exactly once" (exactly-once).
    :param ledger_path: where attempts are recorded across tries (default ``[legallymail] ledger_path``).
    :param legallymail_conn_id: the LegallyMail connection.
    """

    kind = EMAIL.name
    template_fields: Sequence[str] = (
        "recipients",
        "subject",
        "html",
        "reply_to",
        "reply_to_name",
        "attachments",
        "legallymail_conn_id",
    )
    template_ext: Sequence[str] = (".html", ".j2")
    template_fields_renderers = {"html": "html", "recipients": "json"}
    operator_extra_links = (LegallyMailDashboardLink(),)
    ui_color = "#dbe9f6"

    def __init__(
        self,
        *,
        recipients: Any,
        subject: str,
        html: str,
        reply_to: str | None = None,
        reply_to_name: str | None = None,
        attachments: Any = None,
        split_recipients: bool = True,
        one_email_per_recipient: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.recipients = recipients
        self.subject = subject
        self.html = html
        self.reply_to = reply_to
        self.reply_to_name = reply_to_name
        self.attachments = attachments
        self.split_recipients = split_recipients
        self.one_email_per_recipient = one_email_per_recipient

    def _batches(self) -> list[list[str]]:

        seen: set[str] = set()
        unique: list[str] = []
        for address in address_list(self.recipients):
            if address and address.lower() not in seen:  # one certified email per address, never two
                seen.add(address.lower())
                unique.append(address)
        if not unique:
            raise fail("recipients", "at least one recipient is required")
        if self.one_email_per_recipient:  # no recipient sees another's address
            return [[address] for address in unique]
        size = self.hook.settings.max_recipients
        if len(unique) > size and not self.split_recipients:
            raise fail(
                "recipients",
                f"{len(unique)} recipients given; at most {size} per send (max_recipients) "
                "and split_recipients is False",
            )
        return [unique[i : i + size] for i in range(0, len(unique), size)]

    def build_units(self) -> list[SendUnit]:

        from airflow_provider_legallymail.delivery.deliverer import SendUnit
        from airflow_provider_legallymail.delivery.lost_sends import find_email

        files = to_attachments(self.attachments)
        units = []
        for batch in self._batches():
            payload = self.hook.email_payload(
                batch,
                self.subject,
                self.html,
                reply_to=self.reply_to,
                reply_to_name=self.reply_to_name,
                attachments=files,
            )
            units.append(
                SendUnit(
                    key=f"email:{digest(*sorted(a.lower() for a in batch))}",
                    kind=self.kind,
                    request={"recipients": batch, "subject": payload["subject"]},
                    send=partial(self._post, payload),
                    lookup=partial(find_email, self.hook),
                )
            )
        return units

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        from airflow_provider_legallymail.models.legallymail_summaries import email_summary

        return email_summary(self.hook.post_email(payload))

    def sent_line(self, result: dict[str, Any]) -> str:
        recipients = result["recipients"]
        failed = [
            f"{self.shown(r['email'])} ({r.get('error_details') or r['status']})" for r in recipients if _failed(r)
        ]
        who = f" ({listed((r['email'] for r in recipients), True)})" if self.log_addresses else ""
        line = (
            f"Certified email {result['subject']!r} to {len(recipients)} recipient(s){who}: tracking id "
            f"{result['tracking_id']}, status {result['status']}, {result['success_count']} accepted"
        )
        return line + (f", refused: {', '.join(failed)}" if failed else "")

    def summary_line(self, results: list[dict[str, Any]]) -> str | None:
        if len(results) < 2:
            return None
        total = sum(len(r["recipients"]) for r in results)
        ids = ", ".join(r["tracking_id"] for r in results)
        size = 1 if self.one_email_per_recipient else self.hook.settings.max_recipients
        return f"{total} recipient(s) went out as {len(results)} certified emails (max_recipients={size}): {ids}"

    def summarize(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        tracking_ids = {r["email"]: r["tracking_id"] for send in results for r in send["recipients"]}
        statuses = {send["status"] for send in results}
        summary: EmailSendSummary = {
            "sends": cast(list[EmailSend], results),
            "tracking_ids": tracking_ids,
            "parent_tracking_ids": [send["tracking_id"] for send in results],
            "status": statuses.pop() if len(statuses) == 1 else "partial",
        }
        return dict(summary)


class SignatureRequestOperator(_LegallyMailSendOperator):
    """Ask 1..5 signers to sign a PDF electronically.

    :param document: a path, an ``ObjectStoragePath`` or the bytes of a PDF (at most 10 MB).
    :param document_name: the file name signers see (default: the document's file name).
    :param signers: a list of ``{"name", "email", "phone"?}`` (up to 5), e.g. from XCom.
    :param language: ``es`` (default), ``en``, ``fr`` or ``it``.
    :param resend_on_expiry: with ``wait_for="signed"``: when a request expires unsigned, send a new one
        (same document and signers) and wait again, up to this many times (default 0). A decline is never
        re-sent. Each re-send goes out at most once across tries, like the first request.
    :param on_retry: ``adopt`` (default), ``resend`` or ``fail``.
    :param ledger_path: where attempts are recorded across tries.
    :param legallymail_conn_id: the LegallyMail connection.
    """

    kind = SIGNATURE.name
    template_fields: Sequence[str] = ("document", "document_name", "signers", "language", "legallymail_conn_id")
    template_fields_renderers = {"signers": "json"}
    operator_extra_links = (LegallyMailDashboardLink(), SignatureDocumentLink(), SignedDocumentLink())
    ui_color = "#e4f0d9"

    def __init__(
        self,
        *,
        document: Any,
        signers: Any,
        document_name: str | None = None,
        language: str = "es",
        resend_on_expiry: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.document = document
        self.document_name = document_name
        self.signers = signers
        self.language = language
        self.resend_on_expiry = resends.check_resend_on_expiry(resend_on_expiry, self.wait_for)

    def build_units(self) -> list[SendUnit]:
        return [self.request_unit(0)]

    def request_unit(self, number: int, sent: Sequence[dict[str, Any]] = ()) -> SendUnit:
        """Request ``number`` (0: the first; n: the n-th re-send), never adopting one of ``sent``."""
        from airflow_provider_legallymail.delivery.deliverer import SendUnit
        from airflow_provider_legallymail.delivery.lost_sends import find_signature

        signers = self.signers
        if isinstance(signers, str):  # rendered from XCom, with or without | tojson
            signers = parse_rendered(signers) or signers
        payload = self.hook.signature_payload(self.document, self.document_name, signers, language=self.language)
        emails = [payload["signer_email"]] if "signer_email" in payload else [s["email"] for s in payload["signers"]]
        first_key = f"signature:{digest(payload['document_name'], *sorted(e.lower() for e in emails))}"
        return SendUnit(
            key=resends.resend_key(first_key, number),
            kind=self.kind,
            request={"document_name": payload["document_name"], "signer_emails": emails},
            send=partial(self._post, payload),
            lookup=partial(find_signature, self.hook, exclude=frozenset(str(r.get("uuid")) for r in sent)),
        )

    def deliver(
        self, context: Context, deliverer: Deliverer, units: list[SendUnit], done: Sequence[dict[str, Any]] = ()
    ) -> list[dict[str, Any]]:
        """A retry resumes at the last request the ledger records: the ones before it expired unsigned."""
        if done or not self.resend_on_expiry:
            return super().deliver(context, deliverer, units, done)
        earlier, number = resends.resume_point(deliverer.ledger, units[0].key, self.resend_on_expiry)
        if number:
            uuids = ", ".join(str(r.get("uuid")) for r in earlier)
            self.log.info("An earlier try sent %d request(s) that expired unsigned (%s)", len(earlier), uuids)
            units = [self.request_unit(number, earlier)]
        return super().deliver(context, deliverer, units, earlier)

    def deadline_name(self, summary: dict[str, Any]) -> str | None:
        return resends.deadline_name(len(summary.get("requests") or [summary]) - 1)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Re-sends a request that expired unsigned (``resend_on_expiry``), else ends as the other operators."""
        sent = resends.requests_so_far(event.get("carry") or {})
        if resends.expired_unsigned(event) and len(sent) <= self.resend_on_expiry:
            self.log.warning(
                "Signature request %s expired unsigned: sending re-send %d of %d",
                sent[-1].get("uuid"),
                len(sent),
                self.resend_on_expiry,
            )
            results = self.deliver(context, self.deliverer(context), [self.request_unit(len(sent), sent)], sent)
            return self.after_sending(context, results)
        try:
            return super().execute_complete(context, event)
        except OutcomeFailedError as exc:
            if len(sent) < 2:
                raise
            uuids = ", ".join(str(r.get("uuid")) for r in sent)
            message = f"{exc} (after {len(sent)} signature requests: {uuids})"
            raise OutcomeFailedError(message, who=exc.who, reason=exc.reason, result=exc.result) from None

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        from airflow_provider_legallymail.models.legallymail_summaries import signature_summary

        return signature_summary(self.hook.post_signature(payload))

    def sent_line(self, result: dict[str, Any]) -> str:
        return (
            f"Signature request for {result['document_name']!r} (first signer {self.shown(result['signer_email'])}): "
            f"uuid {result['uuid']}, status {result['status']}"
        )

    def summarize(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        return resends.signature_summary(results)

    def links(self, results: list[dict[str, Any]]) -> dict[str, str]:
        """The dashboard, the document sent, and the acta unless the request was declined or expired."""
        from airflow_provider_legallymail.evidence.collect import public_url
        from airflow_provider_legallymail.evidence.links import ACTA, ORIGINAL, link_url

        detail = self.hook.get_signature(results[-1]["uuid"])
        own = self.hook.settings.origin
        acta = None if detail.status.is_failure else detail.download_acta_url
        return {
            **super().links(results),
            "original_document": link_url(public_url(detail.download_original_url or ""), own, ORIGINAL) or "",
            "acta": link_url(public_url(acta or ""), own, ACTA) or "",
        }


class SmsOperator(_LegallyMailSendOperator):
    """Send one certified SMS (1 credit, 1..300 characters).

    The SMS API cannot list what was sent, so when an earlier try's outcome is unknown (the response was
    lost) a retry fails rather than risk a second SMS, unless ``on_retry="resend"``.

    :param phone: the number in international form, e.g. ``+34600000000``.
    :param message: the text, 1..300 characters.
    :param on_retry: ``adopt`` (default), ``resend`` or ``fail``.
    :param ledger_path: where attempts are recorded across tries.
    :param legallymail_conn_id: the LegallyMail connection.
    """

    kind = SMS.name
    template_fields: Sequence[str] = ("phone", "message", "legallymail_conn_id")
    operator_extra_links = (LegallyMailDashboardLink(),)
    ui_color = "#f6e7db"

    def __init__(self, *, phone: str, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.phone = phone
        self.message = message

    def build_units(self) -> list[SendUnit]:

        from airflow_provider_legallymail.delivery.deliverer import SendUnit

        payload = self.hook.sms_payload(self.phone, self.message)
        return [
            SendUnit(
                key=f"sms:{payload['phone']}",
                kind=self.kind,
                request={"phone": payload["phone"]},
                send=partial(self._post, payload),
            )
        ]

    def _post(self, payload: dict[str, str]) -> dict[str, Any]:
        from airflow_provider_legallymail.models.legallymail_summaries import sms_summary

        return sms_summary(self.hook.post_sms(payload), payload["phone"])

    def sent_line(self, result: dict[str, Any]) -> str:
        cost = result.get("credits_deducted")
        credits = f", {cost} credit(s)" if cost is not None else ""
        return (
            f"Certified SMS to {self.shown(result['phone'])}: uuid {result['uuid']}, status {result['status']}{credits}"
        )

    def summarize(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(results[0])
