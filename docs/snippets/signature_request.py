"""A contract sent for signature, waited on in the same task, and sent again once if it expires unsigned."""

from __future__ import annotations

# [START signature_request]
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SignatureRequestOperator

with DAG(
    "contract_signed",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 2},  # safe: a retry adopts the request an earlier try sent
) as dag:
    sign = SignatureRequestOperator(
        task_id="request_signature",
        document="/path/to/contract.pdf",  # a path, an ObjectStoragePath (s3://...), a URL or bytes
        document_name="Contract 2026-014.pdf",  # the name signers see; default: the file's name
        signers=[{"name": "Ana García", "email": "ana@example.com", "phone": "+34600000000"}],
        language="en",  # the signing pages' language: es (default), en, fr, it
        wait_for="signed",  # defer in this task until every signer has signed
        resend_on_expiry=1,  # expired unsigned: send a new request once, and wait again
    )

    @task
    def file_contract(signed: Any) -> str:
        """The uuid of the request that was signed (the last one, after a re-send)."""
        assert signed["wait"]["outcome"] == "reached"
        return str(signed["uuid"])

    file_contract(sign.output)
# [END signature_request]
