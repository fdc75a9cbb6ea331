"""A contract from object storage, its signers from an upstream task."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, ObjectStoragePath, task

from airflow_provider_legallymail.operators.legallymail import SignatureRequestOperator

with DAG("contract_from_storage", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    # [START signature_sources]
    @task
    def signers_of_contract() -> list[dict[str, str]]:
        """Up to 5 signers, e.g. read from a CRM."""
        return [
            {"name": "Ana García", "email": "ana@example.com"},
            {"name": "Bruno Costa", "email": "bruno@example.com", "phone": "+351912345678"},
        ]

    SignatureRequestOperator(
        task_id="request_signatures",
        document=ObjectStoragePath("file:///path/to/contract.pdf"),  # or s3://bucket/contract.pdf, conn_id=...
        signers=signers_of_contract(),
        language="es",
    )
    # [END signature_sources]
