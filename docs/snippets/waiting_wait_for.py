"""Send a campaign notice and wait for it to settle in the same task (wait_for=), then use who received it."""

from __future__ import annotations

# [START waiting_wait_for]
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

CUSTOMERS = ["ana@example.com", "bob@example.com", "carl@example.com", "dora@example.com", "eve@example.com"]

with DAG("terms_campaign_one_task", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    notices = SendCertifiedEmailOperator(
        task_id="notices",
        recipients=CUSTOMERS,
        subject="Notice of new terms",
        html="<p>Our terms change on 1 March.</p>",
        wait_for="settled",  # sends on the worker, then defers in the same task
        wait_settle_on="delivered",
        wait_max_failures=1,
        wait_min_reached=0.8,
        wait_timeout=timedelta(days=2),  # default: a week for an email
    )

    @task
    def delivered_to(summary: dict) -> list[str]:
        """The send summary, with the outcome under "wait"."""
        return summary["wait"]["reached"]

    delivered_to(notices.output)
# [END waiting_wait_for]
