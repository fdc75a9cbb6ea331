"""LegitmailerHook in @task functions: a template's tokens, one template email, a contact looked up by id."""

from __future__ import annotations

# [START hooks_legitmailer]
import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.exceptions import NotFoundError
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook

with DAG("legitmailer_hook_tasks", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:

    @task
    def template_tokens(name: str) -> list[str]:
        """The ${tokens} a template needs: GET /api/template/list, then GET /api/template/{id}."""
        hook = LegitmailerHook()  # legitmailer_conn_id="legitmailer_default"
        summary = next(t for t in hook.list_templates() if t.name == name)
        return hook.get_template(summary.template_id).tokens

    @task
    def contact_email(list_name: str, customer_id: str) -> str | None:
        """A contact's address, or None when the list has no such customer (404)."""
        hook = LegitmailerHook()
        list_id = next(c.contact_list_id for c in hook.list_contact_lists() if c.name == list_name)
        try:
            return hook.get_contact(list_id, customer_id).email
        except NotFoundError:
            return None

    @task(retries=0)  # a hook keeps no ledger: an Airflow retry would send the email a second time
    def send_welcome(tokens: list[str], address: str | None) -> str | None:
        if address is None:
            return None
        values = {"name": "Ana"}
        missing = set(tokens) - set(values)
        if missing:
            raise ValueError(f"the template also needs {sorted(missing)}")
        return LegitmailerHook().send_template_email("welcome", address, values).tracking_id

    send_welcome(template_tokens("welcome"), contact_email("customers", "C-1001"))
# [END hooks_legitmailer]
