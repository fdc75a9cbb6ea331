"""A certified SMS, waited on in the same task until it is delivered."""

from __future__ import annotations

# [START sms_send]
import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legallymail import SmsOperator

with DAG(
    "contract_ready_sms",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    params={"contract": "2026-014"},
    default_args={"retries": 2},  # safe: a retry never sends a second SMS
) as dag:
    SmsOperator(
        task_id="notify_by_sms",
        phone="+34600000000",  # international form; spaces and dashes are removed
        message="Your contract {{ params.contract }} is ready to sign. Check your email.",  # 1..300 characters
        wait_for="delivered",  # defer in this task until the SMS is delivered (or failed)
    )
# [END sms_send]
