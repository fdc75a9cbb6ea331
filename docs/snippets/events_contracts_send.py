"""The sending DAG of the two-DAG pattern: one signature request per run, from the run's conf. No wait here."""

from __future__ import annotations

# [START events_contracts_send]
# dags/contracts_send.py
import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legallymail import SignatureRequestOperator

with DAG("contracts_send", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    SignatureRequestOperator(
        task_id="sign",
        document="s3://bucket/contracts/{{ dag_run.conf['customer'] }}.pdf",
        signers=[{"name": "{{ dag_run.conf['name'] }}", "email": "{{ dag_run.conf['email'] }}"}],
    )
# [END events_contracts_send]
