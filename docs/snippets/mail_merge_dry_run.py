"""Check every row and the credits first; send only when the check passed."""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.mail_merge import CertifiedMailMergeOperator

with DAG("checked_campaign", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    # [START mail_merge_dry_run]
    campaign: dict[str, Any] = {
        "rows": "/path/to/customers.csv",
        "key_column": "customer_id",
        "subject": "Your annual statement, {{ name }}",
        "html": "<p>Dear {{ name }}, your balance is {{ balance }}.</p>",
    }
    check = CertifiedMailMergeOperator(task_id="check", dry_run=True, **campaign)  # sends nothing
    send = CertifiedMailMergeOperator(task_id="send", **campaign)
    check >> send  # a bad row or too few credits fails the check, and nothing is sent
    # [END mail_merge_dry_run]
