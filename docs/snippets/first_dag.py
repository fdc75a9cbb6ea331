"""Send a contract for signature and a certified notice about it, each exactly once."""

from __future__ import annotations

# [START first_dag]
import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator, SignatureRequestOperator

with DAG(
    "contract_for_signature",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 2},  # safe: a retry adopts what an earlier try sent
) as dag:
    sign = SignatureRequestOperator(
        task_id="request_signature",
        document="/path/to/contract.pdf",  # a path, an ObjectStoragePath (s3://...) or bytes
        signers=[{"name": "Ana García", "email": "ana@example.com"}],
        language="en",
    )
    notice = SendCertifiedEmailOperator(
        task_id="certified_notice",
        recipients=["ana@example.com", "legal@example.com"],
        subject="Contract sent for signature on {{ ds }}",
        html="<p>The contract was sent for signature (request {{ ti.xcom_pull('request_signature')['uuid'] }}).</p>",
    )
    sign >> notice
# [END first_dag]
