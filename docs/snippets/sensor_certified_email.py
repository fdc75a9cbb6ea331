"""Send a certified notice, then wait (in the triggerer) until every recipient has read it, for up to three days."""

from __future__ import annotations

# [START sensor_certified_email]
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator
from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor

with DAG("notice_read", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    notice = SendCertifiedEmailOperator(
        task_id="notice",
        recipients=["ana@example.com", "bob@example.com"],
        subject="Your new terms",
        html="<p>Please read the attached terms.</p>",
    )
    read = CertifiedEmailSensor(
        task_id="read",
        tracking_id=notice.output,  # the sending task's whole return value
        target="read",
        recipients="all",
        timeout=timedelta(days=3),  # from the first try's start, kept across retries
        soft_fail=True,  # at the deadline: skipped; a bounce still fails the task
    )

    @task
    def read_by(outcome: dict) -> list[str]:
        """Who read it (the sensor returns the outcome, every recipient with its certificates)."""
        return outcome["reached"]

    read_by(read.output)
# [END sensor_certified_email]
