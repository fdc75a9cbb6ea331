"""A certified notice to every customer, gated before a report: a few bounces must not stop the campaign.

What it shows:

- ``SendCertifiedEmailOperator`` sending one certified notice to a list of customers (split into sends of
  at most 10 recipients; each recipient gets a tracking id of their own). One address of the list is
  tagged ``+bounce``: the sandbox bounces it, as a mailbox that no longer exists would.
- ``CertifiedEmailSensor(target="settled", max_failures=..., min_reached=...)``: instead of failing at the
  first bounce (``recipients="all"``), the wait lasts until every recipient has a final outcome (delivered,
  or bounced / failed) and succeeds while at most ``max_failures`` failed and at least ``min_reached`` of
  them were delivered. It fails as soon as that can no longer be met, without waiting for the rest.
- A report with ``trigger_rule="all_done"`` that reads the wait's outcome from XCom
  (``legallymail_outcome``, pushed whether the wait succeeded or failed): who was delivered, who bounced
  and why, with no API request of its own. Archive and report what succeeded from the same value.

The LegallyMail connection comes from ``AIRFLOW_CONN_LEGALLYMAIL_DEFAULT``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.contracts import OUTCOME_XCOM_KEY
from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator
from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor

CUSTOMERS = [
    "ana.garcia@example.com",
    "bob.smith@example.com",
    "carla.rossi@example.com",
    "dmitri.ivanov@example.com",
    "emma.brown@example.com",
    "farid.haddad@example.com",
    "old.mailbox+bounce@example.com",  # the sandbox bounces it
]

with DAG(
    dag_id="example_certified_campaign",
    schedule="@monthly",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 2},  # safe: a retry adopts the emails an earlier try sent
    doc_md=__doc__,
    tags=["legallymail", "example"],
) as dag:
    send_notice = SendCertifiedEmailOperator(
        task_id="send_notice",
        recipients=CUSTOMERS,
        subject="New terms of service from {{ ds }}",
        html="<p>Our terms of service change on {{ ds }}. This certified notice is your proof of it.</p>",
    )
    notice_settled = CertifiedEmailSensor(
        task_id="notice_settled",
        tracking_id=send_notice.output,
        target="settled",  # every recipient delivered, bounced or failed
        settle_on="delivered",  # a notice counts once delivered ("read" waits for reading)
        max_failures=2,  # a few stale addresses are expected
        min_reached=0.75,  # but a campaign that mostly bounced is not a success
        timeout=timedelta(days=2),
    )

    @task(trigger_rule="all_done")
    def report_campaign(ti: Any = None) -> dict[str, Any]:
        """Who was notified and who was not, from the wait's outcome (no API request)."""
        outcome = ti.xcom_pull(task_ids="notice_settled", key=OUTCOME_XCOM_KEY)
        if outcome is None:  # the wait never started (bad input): nothing to report
            raise ValueError("notice_settled recorded no outcome")
        report = {
            "outcome": outcome["outcome"],
            "delivered": len(outcome["reached"]),
            "not_delivered": {f["who"]: f["reason"] for f in outcome["failures"]},
            "pending": outcome["pending"],
        }
        print(
            f"Campaign {report['outcome']}: {report['delivered']} delivered, not delivered: {report['not_delivered']}"
        )
        return report

    send_notice >> notice_settled >> report_campaign()
