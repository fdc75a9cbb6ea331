"""Twelve certified emails from one task: the request budget spaces them out, nothing to configure."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

TENANTS = [f"tenant{n}@example.com" for n in range(1, 13)]

with DAG(
    "rent_increase_notices",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 2},
) as dag:
    # [START budget_many_sends]
    notices = SendCertifiedEmailOperator(
        task_id="rent_increase_notices",
        recipients=TENANTS,  # 12 addresses
        one_email_per_recipient=True,  # 12 POSTs: the 11th waits until the first leaves the 60 s window
        subject="Rent update from {{ ds }}",
        html="<p>Your rent changes from next month.</p>",
    )
    # [END budget_many_sends]
