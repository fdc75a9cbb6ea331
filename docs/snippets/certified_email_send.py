"""A certified statement with a PDF attached, its subject and body rendered by Jinja, sent exactly once."""

from __future__ import annotations

# [START certified_email_send]
import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

with DAG(
    "certified_statement",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    params={"customer": "Ana García", "balance": "1,250.00 EUR"},
    default_args={"retries": 2},  # safe: a retry adopts the email an earlier try sent
) as dag:
    send_statement = SendCertifiedEmailOperator(
        task_id="send_statement",
        recipients=["ana@example.com", "accounts@example.com"],
        subject="Statement of account for {{ ds }}",
        html="<p>Dear {{ params.customer }}, your balance is {{ params.balance }}.</p>",
        attachments=["/path/to/statement.pdf"],  # paths, ObjectStoragePaths (s3://...), URLs or mappings
    )
# [END certified_email_send]
