"""The consuming DAG of the two-DAG pattern: started by each signed contract, it archives and records it."""

from __future__ import annotations

# [START events_contracts_signed]
# dags/contracts_signed.py
import pendulum
from airflow.sdk import DAG, Asset, AssetWatcher, BaseHook, task

from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from airflow_provider_legallymail.triggers.legallymail import SignatureEventTrigger

signed = Asset(
    "legallymail_contract_signed",
    watchers=[
        AssetWatcher("legallymail_contract_signed", trigger=SignatureEventTrigger(statuses=["signed"])),
    ],
)

with DAG("contracts_signed", schedule=[signed], start_date=pendulum.datetime(2026, 1, 1)) as dag:

    @task
    def outcomes(triggering_asset_events=None) -> list[dict]:
        # Airflow may queue several events into one run: take them all.
        return [e.extra["payload"] for events in triggering_asset_events.values() for e in events]

    found = outcomes()
    ArchiveEvidenceOperator(task_id="archive", evidence=found, destination="s3://legal-archive/evidence")

    @task
    def update_crm(payloads: list[dict]) -> int:
        crm = BaseHook.get_hook("crm_db")  # any SQL connection: Postgres, MySQL, SQLite...
        rows = [(p["id"], p["status"], p["reached_at"], p["event_id"]) for p in payloads]
        crm.insert_rows("signed_contracts", rows, target_fields=["signature_uuid", "status", "signed_at", "event_id"])
        return len(rows)

    update_crm(found)
# [END events_contracts_signed]
