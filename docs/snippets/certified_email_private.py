"""A notice to several customers in which no customer can see another's address."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

with DAG("certified_notice_one_each", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    # [START certified_email_private]
    SendCertifiedEmailOperator(
        task_id="price_change_notice",
        recipients=["ana@example.com", "bob@example.com", "carla@example.com"],
        subject="Your tariff changes on 1 March",
        html="<p>Your tariff changes on 1 March. This certified notice is your proof of it.</p>",
        one_email_per_recipient=True,  # three certified emails, one per customer, each sent exactly once
        log_addresses=False,  # the default: the task log shows counts, ids and masked addresses only
    )
    # [END certified_email_private]
