"""A certified notice waited on until read, then its certificates archived and verified."""

from __future__ import annotations

# [START archive_after_wait]
import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

with DAG("termination_notice_archived", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    notice = SendCertifiedEmailOperator(
        task_id="notice",
        recipients=["ana@example.com", "legal@example.com"],
        subject="Termination of contract 2026-014",
        html="<p>We terminate contract 2026-014 with effect from 31 March.</p>",
        wait_for="read",
    )
    ArchiveEvidenceOperator(
        task_id="archive",
        evidence=notice.output,  # what the wait observed: no status request, only the downloads
        destination="/path/to/evidence",  # default: [legallymail] evidence_path
        layout="notices/{{ ds }}/{{ id }}",  # the default is "{{ kind }}/{{ id }}"
    )
# [END archive_after_wait]
