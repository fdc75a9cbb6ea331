"""Recipe: the API refuses a send before processing it (503 twice, then 429); the client sends it again."""

from __future__ import annotations

# [START recipe_fault_refused]
import pendulum
import requests
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

SANDBOX = "http://127.0.0.1:8765/_sandbox"
SEND = {"api": "legallymail", "method": "POST", "path": "/api/send"}


@task
def refuse_the_next_sends() -> list:
    """Faults fire in the order they were added: two 503s, then a 429 asking for a 1 s pause."""
    faults = [{**SEND, "status": 503, "count": 2}, {**SEND, "status": 429, "retry_after": 1, "count": 1}]
    added = []
    for fault in faults:
        answer = requests.post(f"{SANDBOX}/faults", json=fault, timeout=10)
        answer.raise_for_status()
        added.append(answer.json()["fault"]["id"])
    return added


with DAG("recipe_fault_refused", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    notice = SendCertifiedEmailOperator(
        task_id="notice",
        recipients="ana@example.com",
        subject="Notice",
        html="<p>Your contract is ready.</p>",
    )
    refuse_the_next_sends() >> notice
# [END recipe_fault_refused]
