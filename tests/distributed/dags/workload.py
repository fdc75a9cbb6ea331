"""The workload of ``make test-distributed``: what a user runs, with the provider's defaults.

- 20 signature requests (``SignatureRequestOperator``, mapped), one deferrable ``SignatureSensor`` each, then
  ``ArchiveEvidenceOperator`` per contract on the ``host-a`` queue, and a check of each archive on the
  ``host-b`` queue: another host than the one that wrote it.
- 10 certified emails (``SendCertifiedEmailOperator``) that wait in the triggerer until read (``wait_for``).
- 5 certified SMS (``SmsOperator``).

Every task has ``retries=3``. The sandbox's conventions make every outcome happen: plain addresses are
delivered and read, signers sign (after 60 sandbox seconds), numbers not ending in 999 are delivered.
"""

from __future__ import annotations

import inspect
import os
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from airflow_provider_legallymail.operators.legallymail import (
    SendCertifiedEmailOperator,
    SignatureRequestOperator,
    SmsOperator,
)
from airflow_provider_legallymail.sensors.legallymail import SignatureSensor

DAG_ID = "distributed_workload"
CONTRACTS = [f"D-{n:03d}" for n in range(1, 21)]
EMAILS = [f"reader{n:02d}@example.com" for n in range(1, 11)]
PHONES = [f"+3460000{n:04d}" for n in range(1, 6)]
ARCHIVE_QUEUE, VERIFY_QUEUE = "host-a", "host-b"
DOCUMENT = str(Path(__file__).resolve().parents[3] / "example_dags" / "data" / "contracts" / "K-2025-101.pdf")
AIRFLOW_HOME = Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow")


def evidence_destination() -> dict[str, str]:
    """Where archives go, as a user writes it.

    An operator whose ``destination`` is optional takes it from ``[legallymail] evidence_path`` (the harness
    sets it): give none. One that requires it gets what the example DAGs give, a folder under
    ``$AIRFLOW_HOME``: the worker's own disk.
    """
    parameter = inspect.signature(ArchiveEvidenceOperator.__init__).parameters["destination"]
    if parameter.default is not inspect.Parameter.empty:
        return {}
    return {"destination": str(AIRFLOW_HOME / "legallymail-evidence")}


with DAG(
    dag_id=DAG_ID,
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 3, "retry_delay": timedelta(seconds=5)},
    tags=["legallymail", "test-distributed"],
) as dag:
    requests = SignatureRequestOperator.partial(task_id="request_signature", language="en").expand_kwargs(
        [
            {
                "document": DOCUMENT,
                "document_name": f"{c}.pdf",
                "signers": [{"name": f"Signer {c}", "email": f"{c.lower()}@example.com"}],
            }
            for c in CONTRACTS
        ]
    )
    waits = SignatureSensor.partial(task_id="wait_for_signature").expand(uuid=requests.output)
    archives = ArchiveEvidenceOperator.partial(
        task_id="archive_contract", queue=ARCHIVE_QUEUE, layout="contracts/{{ id }}", **evidence_destination()
    ).expand(evidence=requests.output)
    waits >> archives

    @task(queue=VERIFY_QUEUE)
    def verify_archive(archived: dict[str, Any]) -> dict[str, Any]:
        """Re-check the archive against its manifest from this host; fails when a file is missing or altered."""
        from airflow_provider_legallymail.evidence.manifest import verify_archive as check

        manifests = [archive["manifest"] for archive in archived["archives"]]
        for manifest in manifests:
            report = check(manifest)
            if not report.ok:
                raise RuntimeError(f"{manifest} does not verify on {socket.gethostname()}:\n{report.to_text()}")
        return {"host": socket.gethostname(), "manifests": manifests}

    verify_archive.expand(archived=archives.output)

    SendCertifiedEmailOperator.partial(
        task_id="send_email", html="<p>Proof of delivery, several hosts.</p>", wait_for="read"
    ).expand_kwargs([{"recipients": [address], "subject": f"Distributed proof {address}"} for address in EMAILS])

    SmsOperator.partial(task_id="send_sms").expand_kwargs(
        [{"phone": phone, "message": f"Distributed proof to {phone}"} for phone in PHONES]
    )
