"""What a task sees of a server that echoes the token or sends an endless answer: typed errors, no token."""

from __future__ import annotations

# [START security_error_text]
import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.exceptions import MailApiError
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook


@task
def look_up(tracking_id: str) -> dict:
    try:
        LegallyMailHook().get_email(tracking_id)
    except MailApiError as exc:  # its text, args and api_message never hold the connection's token
        return {"error": type(exc).__name__, "text": str(exc)}
    return {"error": None, "text": ""}


@task
def list_recent() -> dict:
    try:
        LegallyMailHook().list_emails()
    except MailApiError as exc:  # an answer beyond the bounds is cut, not read into memory
        return {"error": type(exc).__name__, "text": str(exc)}
    return {"error": None, "text": ""}


with DAG("security_error_text", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    look_up("cm_123")
    list_recent()
# [END security_error_text]
