"""Recipe: the answer to a send comes after the connection's timeout; the send is adopted, never repeated."""

from __future__ import annotations

# [START recipe_fault_slow_answer]
import pendulum
import requests
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

SANDBOX = "http://127.0.0.1:8765/_sandbox"


@task
def slow_down_the_next_send() -> dict:
    """Admitted on arrival, answered 2 s later: longer than a connection whose extra says "timeout": 1."""
    fault = {"api": "legallymail", "method": "POST", "path": "/api/send", "latency": 2, "count": 1}
    answer = requests.post(f"{SANDBOX}/faults", json=fault, timeout=10)
    answer.raise_for_status()
    return answer.json()["fault"]


with DAG(
    "recipe_fault_slow_answer",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 2},
) as dag:
    notice = SendCertifiedEmailOperator(
        task_id="notice",
        recipients="ana@example.com",
        subject="Notice",
        html="<p>Your contract is ready.</p>",
    )
    slow_down_the_next_send() >> notice
# [END recipe_fault_slow_answer]
