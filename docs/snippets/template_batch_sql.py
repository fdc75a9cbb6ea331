"""One Legitmailer template to the rows of a SQL query, read in chunks through any Airflow SQL connection."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legitmailer import TemplateBatchOperator

with DAG(
    "contract_reminders_from_sql",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 2},
) as dag:
    # [START template_batch_sql]
    TemplateBatchOperator(
        task_id="send_reminders",
        template="contract-reminder",
        conn_id="crm_db",  # any Airflow SQL connection (pip install "airflow-provider-legallymail[sql]")
        sql="SELECT email, name, contract, due_date FROM contracts WHERE due_date <= '{{ ds }}' ORDER BY email",
        batch_size=500,
        skip_invalid=True,  # report bad rows and send the others
    )
    # [END template_batch_sql]
