"""A campaign notice that succeeds when it has settled within a tolerance, and a report that always runs."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator
from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor

CUSTOMERS = ["ana@example.com", "bob@example.com", "carl@example.com", "dora@example.com", "eve@example.com"]

with DAG("terms_campaign", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    send = SendCertifiedEmailOperator(
        task_id="send",
        recipients=CUSTOMERS,
        subject="Notice of new terms",
        html="<p>Our terms change on 1 March.</p>",
    )
    # [START sensor_settled]
    settled = CertifiedEmailSensor(
        task_id="notices_settled",
        tracking_id=send.output,
        target="settled",
        settle_on="delivered",  # the default; "read" settles a recipient only once read (or bounced/failed)
        max_failures=1,  # at most one recipient may bounce or fail
        min_reached=0.8,  # and at least 80% must be delivered
    )
    # [END sensor_settled]

    # [START sensor_settled_report]
    @task(trigger_rule="all_done")  # runs whether the wait succeeded, failed or reached its deadline
    def report(ti=None) -> dict:
        outcome = ti.xcom_pull(task_ids="notices_settled", key="legallymail_outcome")
        return {
            "outcome": outcome["outcome"],  # reached / failed / timeout
            "delivered": outcome["reached"],
            "undeliverable": {f["who"]: f["reason"] for f in outcome["failures"]},  # "bounced (Hard Bounce: ...)"
            "pending": outcome["pending"],
        }

    send >> settled >> report()
    # [END sensor_settled_report]
