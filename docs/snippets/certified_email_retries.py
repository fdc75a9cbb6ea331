"""Retries that never send a certified email twice."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

# [START certified_email_retries]
with DAG(
    "certified_notice_with_retries",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 3, "retry_delay": pendulum.duration(minutes=1)},
) as dag:
    SendCertifiedEmailOperator(
        task_id="notice",
        recipients=["ana@example.com", "bob@example.com"],
        subject="Contract {{ run_id }}",
        html="<p>Please sign the contract.</p>",
        on_retry="adopt",  # the default: a retry takes over what an earlier try sent ("resend", "fail")
    )
# [END certified_email_retries]
