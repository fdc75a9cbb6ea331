"""Request two signatures, wait until both have signed, and tell a decline from an expiry downstream."""

from __future__ import annotations

# [START sensor_signature]
import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SignatureRequestOperator
from airflow_provider_legallymail.sensors.legallymail import SignatureSensor

with DAG("contract_signed", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    sign = SignatureRequestOperator(
        task_id="sign",
        document="/path/to/contract.pdf",
        signers=[{"name": "Ana García", "email": "ana@example.com"}, {"name": "Bob Ruiz", "email": "bob@example.com"}],
    )
    signed = SignatureSensor(
        task_id="signed",
        uuid=sign.output,
        signers="all",  # the default; "any", or a list of addresses
    )  # no timeout: the request's expires_at ends the wait (as a failure, "expired")

    @task(trigger_rule="all_done")
    def next_step(ti=None) -> str:
        outcome = ti.xcom_pull(task_ids="signed", key="legallymail_outcome")
        if outcome["outcome"] == "reached":
            return "signed by " + ", ".join(outcome["reached"])  # documents: the original and acta URLs
        status = outcome["failed"]["status"]  # declined or expired
        return f"{status}: " + "; ".join(f"{f['who']} {f['reason']}" for f in outcome["failures"])

    signed >> next_step()
# [END sensor_signature]
