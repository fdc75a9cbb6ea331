"""Act on a failed or timed-out wait: a callback and a downstream task read the outcome without a request."""

from __future__ import annotations

import logging
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SignatureRequestOperator

log = logging.getLogger(__name__)


# [START waiting_callback]
def on_contract_failure(context):
    """on_failure_callback: the outcome is on the exception, and in XCom on every Airflow version."""
    ti = context["ti"]
    exception = context.get("exception")  # Airflow 3.1 gives a failure callback no exception: read the XCom
    outcome = getattr(exception, "result", None) or ti.xcom_pull(task_ids=ti.task_id, key="legallymail_outcome")
    if outcome is None:  # failed before any outcome: bad input, an unknown id, a bad token
        return
    for failure in outcome["failures"]:
        log.warning("Signature request %s %s: %s", failure["id"], failure["status"], failure["reason"])


# [END waiting_callback]

with DAG(
    "contract_with_follow_up",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 2},  # a retry adopts the request already sent and keeps the same deadline
) as dag:
    # [START waiting_deadline]
    sign = SignatureRequestOperator(
        task_id="sign",
        document="/path/to/contract.pdf",
        signers=[{"name": "Ana García", "email": "ana@example.com"}],
        wait_for="signed",
        wait_timeout=timedelta(days=8),  # fixed at the first try's start: retries do not extend it
        on_failure_callback=on_contract_failure,
    )
    # [END waiting_deadline]

    # [START waiting_all_done]
    @task(trigger_rule="all_done")  # runs however the wait ended
    def follow_up(ti=None) -> str:
        outcome = ti.xcom_pull(task_ids="sign", key="legallymail_outcome")
        if outcome["outcome"] == "reached":
            return "signed"
        if outcome["outcome"] == "timeout":
            return "still unsigned: " + ", ".join(outcome["pending"])
        return outcome["failed"]["status"]  # declined or expired

    sign >> follow_up()
    # [END waiting_all_done]
