"""The send ledger on storage you choose (any ObjectStoragePath), instead of Airflow's task state store."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legallymail import SignatureRequestOperator

with DAG(
    "contract_ledger_on_s3",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 2},
) as dag:
    # [START exactly_once_ledger_path]
    sign = SignatureRequestOperator(
        task_id="request_signature",
        document="/path/to/contract.pdf",
        signers=[{"name": "Ana García", "email": "ana@example.com"}],
        language="en",
        ledger_path="s3://my-bucket/airflow/legallymail-ledger",  # every worker must be able to read it
    )
    # [END exactly_once_ledger_path]
