"""Recipe: a signer declines; the wait fails at once and a downstream task reads why."""

from __future__ import annotations

# [START recipe_decline]
import pendulum
import requests
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SignatureRequestOperator
from airflow_provider_legallymail.sensors.legallymail import SignatureSensor

SANDBOX = "http://127.0.0.1:8765/_sandbox"


@task
def decline_in_the_sandbox(request: dict) -> str:
    answer = requests.post(
        f"{SANDBOX}/signatures/{request['uuid']}/decline", json={"signer_email": "eve@example.com"}, timeout=10
    )
    answer.raise_for_status()
    return answer.json()["status"]  # "declined": one signer declining declines the request


@task(trigger_rule="all_done")
def why(ti=None) -> str:
    outcome = ti.xcom_pull(task_ids="wait_signed", key="legallymail_outcome")
    return outcome["failed"]["status"]  # "declined"


with DAG("recipe_decline", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    contract = SignatureRequestOperator(
        task_id="request_signature",
        document="/path/to/contract.pdf",
        signers=[{"name": "Eve", "email": "eve@example.com"}, {"name": "Ivo", "email": "ivo@example.com"}],
    )
    declined = decline_in_the_sandbox(contract.output)
    wait = SignatureSensor(task_id="wait_signed", uuid=contract.output, poke_interval=5, retries=3)
    declined >> wait >> why()
# [END recipe_decline]
