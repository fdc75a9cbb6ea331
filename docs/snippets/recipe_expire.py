"""Recipe: nobody signs; a week of sandbox time passes and the request expires."""

from __future__ import annotations

# [START recipe_expire]
import pendulum
import requests
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SignatureRequestOperator
from airflow_provider_legallymail.sensors.legallymail import SignatureSensor

SANDBOX = "http://127.0.0.1:8765/_sandbox"


@task
def let_a_week_pass() -> str:
    """Requests expire 7 days after creation (their expires_at); +nosign signers never sign before."""
    answer = requests.post(f"{SANDBOX}/clock/advance", json={"seconds": 8 * 24 * 3600}, timeout=10)
    answer.raise_for_status()
    return answer.json()["legallymail"]  # the sandbox's "now", as LegallyMail writes dates


with DAG("recipe_expire", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    contract = SignatureRequestOperator(
        task_id="request_signature",
        document="/path/to/contract.pdf",
        signers=[{"name": "Zed", "email": "zed+nosign@example.com"}],  # +nosign: never signs
    )
    wait = SignatureSensor(task_id="wait_signed", uuid=contract.output, poke_interval=5)
    contract >> let_a_week_pass() >> wait
# [END recipe_expire]
