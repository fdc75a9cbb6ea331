"""Recipients from an upstream task's XCom: more than 10 go out as several certified emails."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

with DAG("certified_notice_to_a_list", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    # [START certified_email_recipients]
    @task
    def board_members() -> list[str]:
        """The addresses, e.g. read from a table: 12 of them, more than the 10 one certified email takes."""
        return [f"member{n}@example.com" for n in range(1, 13)]

    SendCertifiedEmailOperator(
        task_id="notice_of_meeting",
        recipients=board_members(),  # a list, a comma-separated string, or an XCom
        subject="Notice of the general meeting",
        html="<p>The general meeting is called for {{ macros.ds_add(ds, 30) }}.</p>",
    )
    # [END certified_email_recipients]
