"""Recipe: a certificate is served with one byte changed; archiving refuses it, and the retry archives it intact."""

from __future__ import annotations

# [START recipe_fault_tampered]
import pendulum
import requests
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

SANDBOX = "http://127.0.0.1:8765/_sandbox"


@task
def deliver_then_tamper_with_the_next_download() -> dict:
    requests.post(f"{SANDBOX}/clock/advance", json={"seconds": 10}, timeout=10).raise_for_status()  # delivered
    fault = {"api": "legallymail", "path": "/emails/download-certificate", "tamper": True, "count": 1}
    answer = requests.post(f"{SANDBOX}/faults", json=fault, timeout=10)
    answer.raise_for_status()
    return answer.json()["fault"]


with DAG("recipe_fault_tampered", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    notice = SendCertifiedEmailOperator(
        task_id="notice",
        recipients="ana@example.com",
        subject="Notice",
        html="<p>Your contract is ready.</p>",
    )
    archive = ArchiveEvidenceOperator(
        task_id="archive",
        evidence=notice.output,
        destination="file:///path/to/evidence",
        retries=1,  # the first try refuses the tampered file; the retry downloads it again
        retry_delay=pendulum.duration(seconds=0),
    )
    notice >> deliver_then_tamper_with_the_next_download() >> archive
# [END recipe_fault_tampered]
