"""An audit of the evidence archive: every file still there, unchanged, listed and indexed."""

from __future__ import annotations

# [START evidence_audit]
import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.evidence.manifest import verify_archive

with DAG("evidence_audit", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:

    @task
    def verify_evidence() -> int:
        """Re-hash every file of every manifest below the root; fail naming each missing or changed file."""
        report = verify_archive("/path/to/evidence")  # a local path or a URL: s3://legal-archive/evidence
        print(report.to_text())
        if not report.ok:
            raise RuntimeError(f"the evidence archive failed verification:\n{report.to_text()}")
        return len(report.archives)

    verify_evidence()
# [END evidence_audit]
