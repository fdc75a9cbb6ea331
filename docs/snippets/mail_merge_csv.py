"""A personalized certified email per customer row of a CSV file, each row sent exactly once."""

from __future__ import annotations

# [START mail_merge_csv]
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.mail_merge import CertifiedMailMergeOperator

with DAG(
    "annual_statements",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 2},  # safe: a retry sends only the rows no earlier try sent
) as dag:
    statements = CertifiedMailMergeOperator(
        task_id="send_statements",
        rows="/path/to/customers.csv",  # customer_id,email,name,balance,attachments
        key_column="customer_id",  # the result maps each customer_id to its tracking id
        subject="Your annual statement, {{ name }}",  # rendered per row with the row's columns
        html="<p>Dear {{ name }},</p><p>your balance on 31 December was {{ balance }}.</p>",
        results_path="/path/to/statements-sent.csv",  # row,key,tracking_id,status,adopted
    )

    @task
    def record(sent: Any) -> int:
        for customer_id, tracking_id in sent["by_key"].items():
            print(f"customer {customer_id}: certified email {tracking_id}")
        return int(sent["sent"])

    record(statements.output)
# [END mail_merge_csv]
