"""A certified notice to every customer, gated before a report: a few bounces must not stop the campaign.

The monthly pipeline: a personalized notice to each customer of a table, wait until every one has an outcome,
keep the evidence of what was delivered, report who was not reached.

What it shows:

- ``CertifiedMailMergeOperator`` sending one certified email per row of ``data/notice_recipients.csv`` (its own
  subject and body, rendered from the row), every row exactly once across retries, after a credit check.
  One address is tagged ``+bounce``: the sandbox bounces it, as a mailbox that no longer exists would.
- ``CertifiedEmailSensor(target="settled", max_failures=..., min_reached=...)`` on the merge's result: instead
  of failing at the first bounce (``recipients="all"``), the wait lasts until every recipient has a final
  outcome (delivered, or bounced / failed) and succeeds while at most ``max_failures`` failed and at least
  ``min_reached`` of them were delivered. It fails as soon as that can no longer be met.
- ``ArchiveEvidenceOperator`` given the wait's result: the delivery certificates of every recipient reached,
  with no status request (only the downloads), under ``<evidence dir>/notices/<ds>/<tracking id>/``. The
  evidence dir is the Airflow Variable ``legallymail_evidence_dir`` (default
  ``$AIRFLOW_HOME/legallymail-evidence``).
- A report with ``trigger_rule="all_done"`` that reads the wait's outcome from XCom (``legallymail_outcome``,
  pushed whether the wait succeeded or failed): who was delivered, who was not and why, and how many files
  were archived, with no API request of its own.

The LegallyMail connection comes from ``AIRFLOW_CONN_LEGALLYMAIL_DEFAULT``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.contracts import OUTCOME_XCOM_KEY
from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from airflow_provider_legallymail.operators.mail_merge import CertifiedMailMergeOperator
from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor

RECIPIENTS = str(Path(__file__).parent / "data" / "notice_recipients.csv")  # customer_id, email, name, plan
AIRFLOW_HOME = Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow")
EVIDENCE_DIR = str(AIRFLOW_HOME / "legallymail-evidence")

with DAG(
    dag_id="example_certified_campaign",
    schedule="@monthly",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 2},  # safe: a retry sends only the rows no earlier try sent
    user_defined_macros={"evidence_dir": EVIDENCE_DIR},  # the default of the Variable
    doc_md=__doc__,
    tags=["legallymail", "example"],
) as dag:
    # [START campaign_settled]
    send_notices = CertifiedMailMergeOperator(
        task_id="send_notices",
        rows=RECIPIENTS,
        key_column="customer_id",  # a row's identity across tries (and the key of its result)
        subject="New terms of service, {{ name }}",
        html="<p>Dear {{ name }},</p><p>the terms of your {{ plan }} plan change next month. "
        "This certified notice is your proof of it.</p>",
    )
    notices_settled = CertifiedEmailSensor(
        task_id="notices_settled",
        tracking_id=send_notices.output,
        target="settled",  # every recipient delivered, bounced or failed
        settle_on="delivered",  # a notice counts once delivered ("read" waits for reading)
        max_failures=2,  # a few stale addresses are expected
        min_reached=0.75,  # but a campaign that mostly bounced is not a success
        timeout=timedelta(days=2),
    )
    archive_notices = ArchiveEvidenceOperator(
        task_id="archive_notices",
        evidence=notices_settled.output,  # what the wait observed: no status request, only the downloads
        destination="{{ var.value.get('legallymail_evidence_dir', evidence_dir) }}",
        layout="notices/{{ ds }}/{{ id }}",
    )
    # [END campaign_settled]

    @task(trigger_rule="all_done")
    def report_campaign(ti: Any = None) -> dict[str, Any]:
        """Who was notified and who was not, from the wait's outcome; what was archived (no API request)."""
        outcome = ti.xcom_pull(task_ids="notices_settled", key=OUTCOME_XCOM_KEY)
        if outcome is None:  # the wait never started (the merge failed): nothing to report
            raise ValueError("notices_settled recorded no outcome")
        archived = ti.xcom_pull(task_ids="archive_notices") or {}
        report = {
            "outcome": outcome["outcome"],
            "delivered": sorted(outcome["reached"]),
            "not_delivered": {f["who"]: f["reason"] for f in outcome["failures"]},
            "pending": outcome["pending"],
            "files_archived": archived.get("downloaded", 0) + archived.get("already_present", 0),
        }
        print(
            f"Campaign {report['outcome']}: {len(report['delivered'])} delivered, "
            f"not delivered: {report['not_delivered']}, {report['files_archived']} files archived"
        )
        return report

    send_notices >> notices_settled >> archive_notices >> report_campaign()
