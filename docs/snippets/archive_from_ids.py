"""Archive signature requests by uuid, on demand, and announce the archive to the DAGs that need it."""

from __future__ import annotations

# [START archive_from_ids]
import pendulum
from airflow.sdk import DAG, Asset, ObjectStoragePath

from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator

signed_contracts = Asset("legallymail://evidence/contracts")

with DAG(
    "archive_contracts_on_demand",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    params={"uuids": []},  # trigger with {"uuids": ["<uuid>", ...]}
) as dag:
    ArchiveEvidenceOperator(
        task_id="archive",
        evidence="{{ params.uuids }}",  # a rendered list is parsed
        kind="signature",  # a bare uuid could be a signature request or an SMS
        destination=ObjectStoragePath("file:///path/to/evidence"),  # or s3://bucket/evidence, conn_id=...
        outlets=[signed_contracts],  # each run gives the asset an event listing what it archived
    )
# [END archive_from_ids]
