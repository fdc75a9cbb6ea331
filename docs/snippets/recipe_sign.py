"""Recipe: a signer signs now, from a task that calls the sandbox's control API; a sensor sees it signed."""

from __future__ import annotations

# [START recipe_sign]
import pendulum
import requests
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SignatureRequestOperator
from airflow_provider_legallymail.sensors.legallymail import SignatureSensor

SANDBOX = "http://127.0.0.1:8765/_sandbox"  # the control API of `legallymail-sandbox --port 8765`


@task
def sign_in_the_sandbox(request: dict) -> str:
    """What the signer does in the real world: sign (every pending signer, or {"signer_email": ...})."""
    answer = requests.post(f"{SANDBOX}/signatures/{request['uuid']}/sign", timeout=10)
    answer.raise_for_status()
    return answer.json()["status"]  # "signed" once every signer has signed


with DAG("recipe_sign", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    contract = SignatureRequestOperator(
        task_id="request_signature",
        document="/path/to/contract.pdf",
        signers=[{"name": "Ana García", "email": "ana@example.com"}],
    )
    signed = sign_in_the_sandbox(contract.output)
    wait = SignatureSensor(task_id="wait_signed", uuid=contract.output, target="signed", poke_interval=5)
    signed >> wait
# [END recipe_sign]
