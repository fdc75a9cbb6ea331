"""Keep a Legitmailer contact list equal to what an upstream task returns, writing only what changed."""

from __future__ import annotations

# [START contact_sync_from_task]
import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legitmailer import ContactSyncOperator

with DAG(
    "customers_to_legitmailer",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # two syncs of one list never run at once
    default_args={"retries": 2},  # safe: a retry writes only what the snapshot does not record yet
) as dag:

    @task
    def crm_customers() -> list[dict[str, str]]:
        """One row per contact: the key column, the address, and the list's data columns."""
        return [
            {"customer_id": "C-1001", "email": "ana@example.com", "name": "Ana García", "plan": "pro"},
            {"customer_id": "C-1002", "email": "bob@example.com", "name": "Bob Smith", "plan": "basic"},
            {"customer_id": "C-1003", "email": "carla@example.com", "name": "Carla Rossi", "plan": "pro"},
        ]

    ContactSyncOperator(
        task_id="sync_customers",
        contact_list="customers",  # the list's name or id
        source=crm_customers(),
        key="customer_id",
        mode="upsert",  # "mirror" also deletes ids that left the source
        snapshot_path="s3://my-bucket/legitmailer/contact-snapshots",  # shared by every worker
    )
# [END contact_sync_from_task]
