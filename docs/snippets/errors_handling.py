"""Catch the provider's typed errors in a task of your own: status, method, endpoint and the API's message."""

from __future__ import annotations

# [START errors_handling]
import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.exceptions import NotFoundError
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook


@task
def look_up(tracking_id: str) -> dict:
    """An unknown tracking id is an answer, not a crash: the task decides what it means."""
    try:
        email = LegallyMailHook().get_email(tracking_id)
    except NotFoundError as exc:
        where = f"{exc.method} {exc.endpoint}"
        return {"found": False, "status": exc.status_code, "where": where, "api": exc.api_message}
    return {"found": True, "status": email.status.value}


@task(retries=2)
def look_up_or_fail(tracking_id: str) -> str:
    """Uncaught, a refusal (4xx) fails the task at once: another try would get the same answer."""
    return LegallyMailHook().get_email(tracking_id).status.value


with DAG("errors_handling", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    look_up("cm_does_not_exist")
    look_up_or_fail("cm_does_not_exist")
# [END errors_handling]
