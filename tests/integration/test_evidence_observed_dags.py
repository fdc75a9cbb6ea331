"""ArchiveEvidenceOperator on what a wait observed, in real DAG runs against the sandbox: only downloads.

Each DAG ends with a ``marker`` task (one ``GET /api/info``) before the archive: the sandbox's request log
after the last marker is what the archive asked for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.evidence.manifest import verify_archive
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db", "connect")
STATUS_READS = ("/api/email", "/api/signature", "/api/sms")
HEAD = """
        from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
        from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
        from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor, SignatureSensor, SmsSensor

        @task
        def marker():
            LegallyMailHook().get_account_info()
"""


@pytest.fixture(autouse=True)
def fast(sped_up: SandboxServer) -> SandboxServer:
    return sped_up


def after_marker(sandbox: SandboxServer) -> dict[str, int]:
    """What the sandbox served after the last marker: status reads and downloads."""
    log = [r["path"] for r in sandbox.received(api="legallymail", method="GET")]
    last = max(i for i, path in enumerate(log) if path == "/api/info")
    tail = log[last + 1 :]
    return {
        "status": sum(1 for p in tail if p in STATUS_READS),
        "downloads": sum(1 for p in tail if not p.startswith("/api/")),
    }


def manifests(root: Path) -> dict[str, dict[str, Any]]:
    return {p.parent.name: json.loads(p.read_text()) for p in root.rglob("manifest.json")}


def test_sensors_and_wait_for_then_archive_read_no_status_and_download_each_file_once(
    sandbox: SandboxServer, pdf: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    dag = load_dag(
        "observed_archive",
        HEAD
        + f"""
        with DAG("observed_archive", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            email = SendCertifiedEmailOperator(task_id="email", recipients=["ana@example.com", "bob@example.com"],
                                               subject="Notice", html="<p>x</p>", wait_for="read")
            sign = SignatureRequestOperator(task_id="sign", document="{pdf}",
                                            signers=[{{"name": "Ana", "email": "ana@example.com"}}])
            signed = SignatureSensor(task_id="signed", uuid=sign.output, poke_interval=0.2, timeout=120)
            sms = SmsOperator(task_id="sms", phone="+34600000001", message="Signed?")
            delivered = SmsSensor(task_id="delivered", uuid=sms.output, poke_interval=0.2, timeout=120)
            [email, signed, delivered] >> marker() >> ArchiveEvidenceOperator(
                task_id="archive", evidence=[email.output, signed.output, delivered.output], destination="{archive}")
        """,
    )
    dag_run = run(dag)
    assert set(states(dag_run).values()) == {("success", 1)}
    served = after_marker(sandbox)
    result = xcom(dag_run, "archive")
    hook = LegallyMailHook()
    email_id = xcom(dag_run, "email")["parent_tracking_ids"][0]
    signature = hook.get_signature(xcom(dag_run, "sign")["uuid"])
    certificates = {c.file_hash for r in hook.get_email(email_id).recipients for c in r.certificates}
    assert served == {"status": 0, "downloads": len(certificates) + 3}  # + original, acta, SMS certificate
    assert result["downloaded"] == served["downloads"]
    found = manifests(archive)
    assert {m["source"]["from"] for m in found.values()} == {"wait"}
    assert {f["sha256"] for f in found[email_id]["files"]} == certificates
    assert {f["name"]: f["sha256"] for f in found[signature.uuid]["files"]} == {
        "original.pdf": signature.document_hash,
        "acta.pdf": signature.signed_document_hash,
    }
    assert found[email_id]["source"]["observed_at"] == xcom(dag_run, "email")["wait"]["decided_at"]
    assert verify_archive(archive).ok


def test_a_mapped_sensors_results_archive_every_email_with_no_status_read(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    hook = LegallyMailHook()
    ids = [hook.send_email([f"c{i}+noread@example.com"], f"Notice {i}", "<p>n</p>").tracking_id for i in range(3)]
    archive = tmp_path / "archive"
    dag = load_dag(
        "observed_mapped",
        HEAD
        + f"""
        with DAG("observed_mapped", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            waits = CertifiedEmailSensor.partial(task_id="delivered", target="delivered", poke_interval=0.2,
                                                 timeout=120).expand(tracking_id={ids!r})
            archived = ArchiveEvidenceOperator(task_id="archive", evidence=waits.output, destination="{archive}")
            waits >> marker() >> archived >> CertifiedEmailSensor(task_id="again", tracking_id=waits.output,
                                                                  target="delivered", poke_interval=0.2, timeout=120)
        """,
    )
    dag_run = run(dag)
    assert states(dag_run)["archive"] == ("success", 1)
    assert after_marker(sandbox)["downloads"] == 3  # one delivered certificate each
    assert after_marker(sandbox)["status"] == 3  # all read by the next wait ("again"), none by the archive
    assert xcom(dag_run, "again")["ids"] == ids  # the mapped results name their emails to another wait too
    assert sorted(a["id"] for a in xcom(dag_run, "archive")["archives"]) == sorted(ids)
    assert sorted(manifests(archive)) == sorted(ids)
    assert verify_archive(archive).ok


def test_a_tampered_download_or_observed_hash_fails_verification_and_writes_no_acta(
    sandbox: SandboxServer, pdf: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    dag = load_dag(
        "observed_tamper",
        HEAD
        + f"""
        with DAG("observed_tamper", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            sign = SignatureRequestOperator(task_id="sign", document="{pdf}", wait_for="signed",
                                            signers=[{{"name": "Ana", "email": "ana@example.com"}}])
            sign >> marker() >> ArchiveEvidenceOperator(task_id="archive", evidence=sign.output,
                                                        destination="{archive}", max_active_downloads=1)
        """,
    )
    sandbox.fault("legallymail", "GET", "/dashboard/electronic-signature/download-acta/*", tamper=True, count=1)
    failed = run(dag)
    assert states(failed)["archive"][0] == "failed"
    uuid = xcom(failed, "sign")["uuid"]
    folder = archive / "signature" / uuid
    assert sorted(p.name for p in folder.iterdir()) == ["original.pdf"]  # no acta, no manifest

    waited = xcom(failed, "sign")["wait"]
    waited["documents"][uuid]["signed_document_hash"] = "0" * 64  # changed on its way: the acta does not match
    replay = load_dag("observed_replay", HEAD + replay_body(waited, archive))
    assert states(run(replay))["archive"][0] == "failed"
    assert after_marker(sandbox)["status"] == 0
    assert sorted(p.name for p in folder.iterdir()) == ["original.pdf"]

    waited["documents"][uuid]["signed_document_hash"] = LegallyMailHook().get_signature(uuid).signed_document_hash
    repaired = load_dag("observed_replay", HEAD + replay_body(waited, archive))
    assert states(run(repaired))["archive"] == ("success", 1)
    assert after_marker(sandbox) == {"status": 0, "downloads": 1}  # the acta; the original is in place
    assert verify_archive(folder).ok


def replay_body(evidence: Any, archive: Path) -> str:
    return f"""
        with DAG("observed_replay", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            marker() >> ArchiveEvidenceOperator(task_id="archive", evidence={evidence!r}, destination="{archive}")
        """


def test_a_wait_on_some_recipients_archives_the_others_by_reading_the_status(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    dag = load_dag(
        "observed_some",
        HEAD
        + f"""
        with DAG("observed_some", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            email = SendCertifiedEmailOperator(task_id="email", subject="Notice", html="<p>x</p>",
                                               recipients=["ana@example.com", "bob+noread@example.com"],
                                               wait_for="read", wait_recipients=["ana@example.com"])
            email >> marker() >> ArchiveEvidenceOperator(task_id="archive", evidence=email.output,
                                                         destination="{archive}")
        """,
    )
    dag_run = run(dag)
    assert states(dag_run)["archive"] == ("success", 1)
    assert after_marker(sandbox)["status"] == 1  # the wait holds ana only: bob's certificate needs the status
    [found] = manifests(archive).values()
    assert "source" not in found
    assert {r["email"] for r in found["facts"]["recipients"]} == {"ana@example.com", "bob+noread@example.com"}
