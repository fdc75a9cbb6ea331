"""Retries are safe: a later try adopts what an earlier try sent instead of sending it again."""

from __future__ import annotations

# [START exactly_once_retries]
import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator, SmsOperator

with DAG(
    "contract_notice_with_retries",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=5)},
) as dag:
    notice = SendCertifiedEmailOperator(
        task_id="certified_notice",
        recipients=["ana@example.com", "legal@example.com"],
        subject="Your contract {{ run_id }}",
        html="<p>Your contract is ready.</p>",
        # on_retry="adopt" is the default: a retry adopts a send that went out, looks up one whose
        # answer was lost, and sends only what provably did not go out.
    )
    reminder = SmsOperator(
        task_id="sms_reminder",
        phone="+34600000000",
        message="Your contract is ready: see your email.",
        # SMS cannot be looked up: when an answer was lost, the retry fails rather than risk a second SMS.
    )
    notice >> reminder
# [END exactly_once_retries]
