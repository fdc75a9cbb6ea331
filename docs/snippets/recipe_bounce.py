"""Recipe: one recipient of a certified email bounces; the wait for delivery fails and names who."""

from __future__ import annotations

# [START recipe_bounce]
import pendulum
import requests
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator
from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor

SANDBOX = "http://127.0.0.1:8765/_sandbox"


@task
def let_ten_seconds_pass() -> str:
    """Move the sandbox clock: delivery (or the bounce) happens 5 sandbox seconds after the send."""
    answer = requests.post(f"{SANDBOX}/clock/advance", json={"seconds": 10}, timeout=10)
    answer.raise_for_status()
    return answer.json()["now"]


with DAG("recipe_bounce", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    notice = SendCertifiedEmailOperator(
        task_id="notice",
        recipients=["ana@example.com", "bob+bounce@example.com"],  # +bounce: a hard bounce at delivery
        subject="Notice",
        html="<p>Your contract is ready.</p>",
    )
    wait = CertifiedEmailSensor(task_id="wait_delivered", tracking_id=notice.output, target="delivered")
    notice >> let_ten_seconds_pass() >> wait
# [END recipe_bounce]
