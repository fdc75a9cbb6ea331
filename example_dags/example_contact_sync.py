"""Nightly sync of the CRM's customers into a Legitmailer contact list, planned by a dry run first.

What it shows:

- ``ContactSyncOperator(dry_run=True)``: reads ``data/customers.csv`` (``customer_id``, ``email`` and the
  list's columns ``name`` and ``plan``), checks every row and returns the plan (ids to create, update,
  delete, unchanged) without writing anything. Bad rows fail it, so the sync never starts.
- The sync in ``mirror`` mode: contacts are added or updated, and ids that left the CSV are deleted from
  the ``customers`` list. A snapshot kept under ``$AIRFLOW_HOME`` makes the next night's run write only
  what changed.
- ``max_active_runs=1``: two syncs of one list never run at once.

The Legitmailer connection comes from ``AIRFLOW_CONN_LEGITMAILER_DEFAULT``.
"""

from __future__ import annotations

from pathlib import Path

import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legitmailer import ContactSyncOperator

CUSTOMERS = str(Path(__file__).parent / "data" / "customers.csv")

with DAG(
    dag_id="example_contact_sync",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2},  # safe: a retry writes only what the snapshot does not record yet
    doc_md=__doc__,
    tags=["legitmailer", "example"],
) as dag:
    # [START contact_sync_csv]
    plan_sync = ContactSyncOperator(
        task_id="plan_sync",
        contact_list="customers",
        source=CUSTOMERS,
        mode="mirror",
        dry_run=True,
    )
    sync_customers = ContactSyncOperator(
        task_id="sync_customers",
        contact_list="customers",
        source=CUSTOMERS,
        mode="mirror",
    )
    plan_sync >> sync_customers
    # [END contact_sync_csv]
