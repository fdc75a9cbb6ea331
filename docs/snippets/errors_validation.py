"""Bad input fails the task before any request, naming the field and the rule, without spending retries."""

from __future__ import annotations

# [START errors_validation]
import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legallymail import SmsOperator

with DAG(
    "errors_validation",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 3},
) as dag:
    SmsOperator(
        task_id="reminder",
        phone="600 000 000",  # needs the international form: +34600000000
        message="Your contract is ready to sign.",
    )
    # fails on its first try, before any request (no credit spent, no retry):
    # ValidationError: phone: '600 000 000' is not a phone number in international form (e.g. +34600000000)
# [END errors_validation]
