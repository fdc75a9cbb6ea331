"""Send and wait in one task: until every recipient has read, or until a campaign has settled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

with DAG("certified_notice_and_wait", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    # [START certified_email_wait_read]
    notice = SendCertifiedEmailOperator(
        task_id="notice",
        recipients=["ana@example.com", "legal@example.com"],
        subject="Termination of contract 2026-014",
        html="<p>We terminate contract 2026-014 with effect from 31 March.</p>",
        wait_for="read",  # then defer in this task until every recipient has read it
        wait_recipients="all",  # or "any", or a list of the recipients' addresses
        wait_timeout=timedelta(days=3),  # from the first try's start; default a week
    )

    @task
    def record_reading(sent: Any) -> list[str]:
        """Who read it: the send summary carries the wait's outcome under "wait"."""
        return sorted(sent["wait"]["reached"])

    record_reading(notice.output)
    # [END certified_email_wait_read]

    # [START certified_email_wait_settled]
    SendCertifiedEmailOperator(
        task_id="tariff_notice",
        recipients=["ana@example.com", "bob@example.com", "old+bounce@example.com"],
        subject="Your tariff changes on 1 March",
        html="<p>Your tariff changes on 1 March.</p>",
        wait_for="settled",  # until every recipient is delivered, bounced or failed
        wait_settle_on="delivered",  # the default; "read" settles a recipient once read
        wait_max_failures=1,  # at most one bounce or failure
        wait_min_reached=0.6,  # and at least 60% delivered
    )
    # [END certified_email_wait_settled]
