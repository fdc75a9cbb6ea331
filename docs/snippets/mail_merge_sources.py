"""The same campaign from each kind of row source: an XCom, JSON Lines, object storage, a SQL query."""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, ObjectStoragePath, task

from airflow_provider_legallymail.operators.mail_merge import CertifiedMailMergeOperator

NOTICE: dict[str, Any] = {
    "subject": "Renewal notice for {{ name }}",
    "html": "<p>Dear {{ name }}, your policy renews soon.</p>",
}

with DAG("renewal_notices", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    # [START mail_merge_from_xcom]
    @task
    def renewals_due() -> list[dict[str, Any]]:
        """Rows computed upstream: a list of mappings, one per email."""
        return [{"email": "ana@example.com", "name": "Ana"}, {"email": "bob@example.com", "name": "Bob"}]

    CertifiedMailMergeOperator(task_id="from_xcom", rows=renewals_due(), **NOTICE)
    # [END mail_merge_from_xcom]

    # [START mail_merge_from_jsonl]
    CertifiedMailMergeOperator(
        task_id="from_jsonl",
        rows="/path/to/renewals.jsonl",  # one JSON object a line (.jsonl, .ndjson or .json)
        **NOTICE,
    )
    # [END mail_merge_from_jsonl]

    # [START mail_merge_from_storage]
    CertifiedMailMergeOperator(
        task_id="from_storage",
        rows=ObjectStoragePath("file:///path/to/renewals.csv"),  # or s3://bucket/renewals.csv, conn_id="aws_default"
        **NOTICE,
    )
    # [END mail_merge_from_storage]

    # [START mail_merge_from_sql]
    CertifiedMailMergeOperator(
        task_id="from_sql",
        conn_id="customers_db",  # any Airflow SQL connection (needs apache-airflow-providers-common-sql)
        sql="SELECT email, name FROM customers WHERE renewal_due ORDER BY customer_id",
        **NOTICE,
    )
    # [END mail_merge_from_sql]
