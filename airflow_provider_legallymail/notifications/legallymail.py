"""Notifiers that send a certified email or SMS from ``on_failure_callback`` / ``on_success_callback``.

Airflow can fire one callback twice for one event; each notifier claims the event (task instance and try,
or DAG run, plus what it sends) in the ledger store before sending, so the second firing sends nothing.

Imports inside methods are only those that load what a running task needs and a DAG file's parse does not
(the hooks, the API models and client, the pollers, the Legitmailer workers, the archiver: the list is
``RUNNING_MACHINERY`` in ``tests/unit/test_import_light.py``, which checks it); every other import is at the top.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

from airflow_provider_legallymail.delivery.ledger import AttemptState, claim_once, release_claim
from airflow_provider_legallymail.hooks.lazy import LazyHook, legallymail_hook
from airflow_provider_legallymail.storage import digest

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook


def event_key(context: Any, *what: object) -> tuple[object, ...]:
    """What identifies one firing: the task instance try (or the DAG run) and what is being sent."""
    dag_run = context.get("dag_run")
    ti = context.get("ti") or context.get("task_instance")

    what_digest = digest(repr(what))
    run_id = getattr(dag_run, "run_id", None) or context.get("run_id", "no-run")
    dag_id = getattr(dag_run, "dag_id", None) or getattr(context.get("dag"), "dag_id", "no-dag")
    if ti is not None:
        return (dag_id, run_id, ti.task_id, getattr(ti, "map_index", -1), getattr(ti, "try_number", 0), what_digest)
    started = getattr(dag_run, "start_date", None)
    return (dag_id, run_id, "dag", started.isoformat() if started else "", what_digest)


class _LegallyMailNotifier(BaseNotifier):
    def __init__(self, *, legallymail_conn_id: str = "legallymail_default", ledger_path: str | None = None) -> None:
        super().__init__()
        self.legallymail_conn_id = legallymail_conn_id
        self.ledger_path = ledger_path

    hook: LazyHook[LegallyMailHook] = LazyHook(legallymail_hook, "legallymail_conn_id")

    def identity(self) -> tuple[object, ...]:
        raise NotImplementedError

    def send(self) -> str:
        raise NotImplementedError

    def notify(self, context: Context) -> None:
        from airflow_provider_legallymail.delivery.deliverer import attempt_state

        key = event_key(context, *self.identity())
        if not claim_once(self.ledger_path, *key):
            self.log.info("This notification was already sent for %s; not sending it twice", key[:-1])
            return
        try:
            sent_id = self.send()
        except Exception as exc:
            if attempt_state(exc) is AttemptState.NOT_PROCESSED:
                release_claim(self.ledger_path, *key)
            raise
        self.log.info("Sent notification %s", sent_id)

    async def async_notify(self, context: Context) -> None:
        await asyncio.to_thread(self.notify, context)


class LegallyMailNotifier(_LegallyMailNotifier):
    """Send a certified email when a task or DAG succeeds or fails.

    :param recipients: a list or a comma-separated string (at most the connection's ``max_recipients``).
    :param subject: the subject (templated, e.g. ``"{{ ti.task_id }} failed"``).
    :param html: the HTML body, or a ``.html`` / ``.j2`` template file.
    :param reply_to: a verified reply-to address.
    :param reply_to_name: the reply-to display name.
    :param legallymail_conn_id: the LegallyMail connection.
    :param ledger_path: where the once-per-event claims are kept (default ``[legallymail] ledger_path``).
    """

    template_fields: Sequence[str] = ("recipients", "subject", "html", "reply_to", "reply_to_name")
    template_ext: Sequence[str] = (".html", ".j2")

    def __init__(
        self,
        *,
        recipients: str | list[str],
        subject: str,
        html: str,
        reply_to: str | None = None,
        reply_to_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.recipients = recipients
        self.subject = subject
        self.html = html
        self.reply_to = reply_to
        self.reply_to_name = reply_to_name

    def identity(self) -> tuple[object, ...]:
        return ("email", self.recipients, self.subject)

    def send(self) -> str:
        result = self.hook.send_email(
            self.recipients, self.subject, self.html, reply_to=self.reply_to, reply_to_name=self.reply_to_name
        )
        return f"certified email {result.tracking_id}"


class LegallyMailSmsNotifier(_LegallyMailNotifier):
    """Send a certified SMS when a task or DAG succeeds or fails.

    :param phone: the number in international form.
    :param message: the text, 1..300 characters (templated).
    :param legallymail_conn_id: the LegallyMail connection.
    :param ledger_path: where the once-per-event claims are kept.
    """

    template_fields: Sequence[str] = ("phone", "message")

    def __init__(self, *, phone: str, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.phone = phone
        self.message = message

    def identity(self) -> tuple[object, ...]:
        return ("sms", self.phone, self.message)

    def send(self) -> str:
        return f"certified SMS {self.hook.send_sms(self.phone, self.message).uuid}"


send_legallymail_notification = LegallyMailNotifier
send_legallymail_sms_notification = LegallyMailSmsNotifier
