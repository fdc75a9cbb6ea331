"""A bad wait argument fails when the DAG file is parsed: the DAG never appears, the import error says why."""

from __future__ import annotations

# [START errors_parse_time]
import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

with DAG("errors_parse_time", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    SendCertifiedEmailOperator(
        task_id="notice",
        recipients="ana@example.com",
        subject="Notice",
        html="<p>Your contract is ready.</p>",
        wait_for="signed",  # a certified email is delivered or read, never signed
    )
    # ValidationError: wait_for: 'signed' is not one of delivered, read, settled ...
# [END errors_parse_time]
