"""LegallyMailHook in @task functions: read the account, send one certified email, read its status."""

from __future__ import annotations

# [START hooks_legallymail]
import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook

with DAG("legallymail_hook_tasks", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:

    @task
    def remaining_emails() -> int:
        """GET /api/info: the certified emails the account may still send."""
        hook = LegallyMailHook()  # legallymail_conn_id="legallymail_default"
        return hook.get_account_info().user.remaining_emails or 0

    @task(retries=0)  # a hook keeps no ledger: an Airflow retry would send the email a second time
    def send_notice(remaining: int) -> str:
        if remaining < 2:
            raise ValueError(f"only {remaining} certified email(s) left on the account")
        result = LegallyMailHook().send_email(
            ["ana@example.com", "legal@example.com"],  # checked before any request: syntax, 1..10 addresses
            "Contract renewal",
            "<p>Your contract renews on 1 March.</p>",
        )
        return result.tracking_id

    @task
    def statuses(tracking_id: str) -> dict[str, str]:
        """GET /api/email: one status per recipient."""
        email = LegallyMailHook().get_email(tracking_id)
        return {recipient.email: recipient.status.value for recipient in email.recipients}

    statuses(send_notice(remaining_emails()))
# [END hooks_legallymail]
