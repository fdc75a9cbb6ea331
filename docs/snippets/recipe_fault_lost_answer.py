"""Recipe: the sandbox commits a send and loses its answer; the task finds the send and adopts it."""

from __future__ import annotations

# [START recipe_fault_lost_answer]
import pendulum
import requests
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

SANDBOX = "http://127.0.0.1:8765/_sandbox"


@task
def lose_the_next_send_answer() -> dict:
    """The email is created and charged, then the connection closes before a byte of the answer."""
    fault = {"api": "legallymail", "method": "POST", "path": "/api/send", "drop_response": True, "count": 1}
    answer = requests.post(f"{SANDBOX}/faults", json=fault, timeout=10)
    answer.raise_for_status()
    return answer.json()["fault"]  # with its "id", for DELETE /_sandbox/faults/{id}


with DAG(
    "recipe_fault_lost_answer",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 2},
) as dag:
    notice = SendCertifiedEmailOperator(
        task_id="notice",
        recipients=["ana@example.com", "bob@example.com"],
        subject="Notice",
        html="<p>Your contract is ready.</p>",
    )
    lose_the_next_send_answer() >> notice
# [END recipe_fault_lost_answer]
