"""ArchiveEvidenceOperator in real DAG runs against the sandbox: real PDFs, hashes, faults, object storage, assets.

Sends are made with the hook, the sandbox clock is advanced (delivered, read, signed), then the archive runs
in a DAG. Each test checks the archive on disk (or in ``memory://``) against what the API lists.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.evidence.manifest import verify_archive
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.pdf import render_pdf
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db", "connect")
IMPORT = "        from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator\n"
CERTS = "/emails/download-certificate"


def sent(hook: LegallyMailHook, sandbox: SandboxServer) -> dict[str, Any]:
    """An email (one reader, one who never reads), a signature request and an SMS, then 70 s later."""
    email = hook.send_email(["ana@example.com", "bob+noread@example.com"], "Contract", "<p>Sign it.</p>")
    doc = render_pdf("Contract", ["ACME and Ana"])
    signature = hook.request_signature(doc, "Contract.pdf", [{"name": "Ana", "email": "ana@example.com"}])
    sms = hook.send_sms("+34600000001", "Your contract is ready")
    sandbox.advance(70)
    return {"email": email.tracking_id, "signature": signature.uuid, "sms": sms.uuid}


def downloads(sandbox: SandboxServer, prefix: str) -> int:
    """Downloads the sandbox served whose path starts with ``prefix``."""
    return sum(1 for r in sandbox.received(api="legallymail", method="GET") if r["path"].startswith(prefix))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_delivered_signed_and_sms_archived_under_mapping_then_nothing_downloaded_again(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    hook = LegallyMailHook()
    ids = sent(hook, sandbox)
    dag = load_dag(
        "evidence_mapped",
        IMPORT
        + f"""
        with DAG("evidence_mapped", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            ArchiveEvidenceOperator.partial(
                task_id="archive", destination="{tmp_path}", layout="{{{{ ds }}}}/{{{{ kind }}}}/{{{{ id }}}}"
            ).expand(evidence=[{{"parent_tracking_ids": ["{ids["email"]}"]}},
                               {{"uuid": "{ids["signature"]}", "document_name": "Contract.pdf"}},
                               {{"kind": "sms", "id": "{ids["sms"]}"}}])
        """,
    )
    dag_run = run(dag)
    assert set(states(dag_run).values()) == {("success", 1)}
    ds = dag_run.logical_date.strftime("%Y-%m-%d")

    email_dir = tmp_path / ds / "email" / ids["email"]
    listed = {c.pdf_download_url: c.file_hash for r in hook.get_email(ids["email"]).recipients for c in r.certificates}
    archived = {p.name: sha(p) for p in email_dir.glob("*.pdf")}
    assert sorted(archived.values()) == sorted(h or "" for h in listed.values())  # each listed one, verified
    assert any(name.endswith("-read.pdf") for name in archived)
    signature = hook.get_signature(ids["signature"])
    sig_dir = tmp_path / ds / "signature" / ids["signature"]
    assert sha(sig_dir / "original.pdf") == signature.document_hash
    assert sha(sig_dir / "acta.pdf") == signature.signed_document_hash
    assert (tmp_path / ds / "sms" / ids["sms"] / "sms-certificate.pdf").read_bytes().startswith(b"%PDF-")
    assert verify_archive(tmp_path).ok

    first_link = xcom(dag_run, "archive", "_link_EvidenceLink_0", map_index=0)
    assert first_link in listed and sandbox.legallymail_token not in first_link
    assert xcom(dag_run, "archive", "_link_EvidenceLink_0", map_index=1) == signature.download_acta_url  # by name:
    assert xcom(dag_run, "archive", "_link_EvidenceLink_1", map_index=1) == signature.download_original_url  # A < D

    before = downloads(sandbox, CERTS) + downloads(sandbox, "/dashboard/")
    assert before == len(listed) + 3  # the certificates, the original, the acta, the SMS certificate
    again = run(dag)
    assert set(states(again).values()) == {("success", 1)}
    assert downloads(sandbox, CERTS) + downloads(sandbox, "/dashboard/") == before
    assert xcom(again, "archive", map_index=2)["already_present"] == 1

    changed = sig_dir / "acta.pdf"
    changed.write_bytes(changed.read_bytes().replace(b"Ana", b"Eve"))
    cli = Path(sys.executable).with_name("legallymail-verify-archive")
    done = subprocess.run([cli, str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert f"CHANGED {sig_dir}/acta.pdf" in done.stdout


def test_a_tampered_acta_fails_leaves_no_file_and_the_next_run_fetches_only_what_is_missing(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    hook = LegallyMailHook()
    uuid = sent(hook, sandbox)["signature"]
    sandbox.fault("legallymail", "GET", "/dashboard/electronic-signature/download-acta/*", tamper=True, count=1)
    dag = load_dag(
        "evidence_tamper",
        IMPORT
        + f"""
        with DAG("evidence_tamper", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            ArchiveEvidenceOperator(task_id="archive", evidence="{uuid}", kind="signature",
                                    destination="file://{tmp_path}", max_active_downloads=1)
        """,
    )
    failed = run(dag)
    assert states(failed)["archive"][0] == "failed"
    folder = tmp_path / "signature" / uuid
    assert sorted(p.name for p in folder.iterdir()) == ["original.pdf"]  # no acta, no manifest, no .part

    repaired = run(dag)
    assert states(repaired)["archive"][0] == "success"
    assert sha(folder / "acta.pdf") == hook.get_signature(uuid).signed_document_hash
    assert downloads(sandbox, "/dashboard/electronic-signature/download-original/") == 1
    assert xcom(repaired, "archive")["downloaded"] == 1
    assert verify_archive(folder).ok


def test_memory_object_storage_and_an_asset_event_that_schedules_a_consumer(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fsspec  # type: ignore[import-untyped]

    uuid = sent(LegallyMailHook(), sandbox)["signature"]
    asset = "legallymail://signature/contracts"
    consumer = load_dag(
        "evidence_consumer",
        f"""
        from airflow.sdk import Asset
        with DAG("evidence_consumer", schedule=[Asset("{asset}")], start_date=pendulum.datetime(2024, 1, 1),
                 is_paused_upon_creation=False) as dag:  # as if switched on in the UI
            @task
            def filed(triggering_asset_events=None):
                return [event.extra for events in triggering_asset_events.values() for event in events]
            filed()
        """,
    )
    producer = load_dag(
        "evidence_producer",
        IMPORT
        + f"""
        import fsspec
        from airflow.sdk import Asset
        from airflow.sdk.io import attach
        attach("memory", fs=fsspec.filesystem("memory"))
        with DAG("evidence_producer", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            ArchiveEvidenceOperator(task_id="archive", evidence={{"kind": "signature", "id": "{uuid}"}},
                                    destination="memory://contracts", outlets=[Asset("{asset}")])
        """,
    )
    assert states(run(producer))["archive"] == ("success", 1)
    store = fsspec.filesystem("memory")
    assert store.cat(f"/contracts/signature/{uuid}/acta.pdf").startswith(b"%PDF-")
    assert verify_archive(f"memory://contracts/signature/{uuid}").ok

    events = asset_events(asset)
    assert [e["archives"][0]["id"] for e in events] == [uuid]
    assert events[0]["archives"][0]["status"] == "signed"
    manifest = events[0]["archives"][0]["manifest"]  # memory:// or memory:///, as the Airflow version writes it
    assert manifest.startswith("memory://") and manifest.endswith(f"/contracts/signature/{uuid}/manifest.json")
    assert verify_archive(manifest).ok
    assert queued_consumers(asset) == ["evidence_consumer"]  # the scheduler would start it now

    consume_like_the_scheduler(monkeypatch, asset)
    consumer_run = run(consumer)
    assert states(consumer_run)["filed"] == ("success", 1)
    [extra] = xcom(consumer_run, "filed")
    assert extra["archives"][0]["files"]["acta.pdf"] == events[0]["archives"][0]["files"]["acta.pdf"]


def events_of(uri: str) -> Any:
    """The query of the AssetEvent rows of the asset ``uri``."""
    from airflow.models.asset import AssetEvent, AssetModel
    from sqlalchemy import select

    return select(AssetEvent).join(AssetModel, AssetModel.id == AssetEvent.asset_id).where(AssetModel.uri == uri)


def asset_events(uri: str) -> list[dict[str, Any]]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return [dict(row.extra) for row in session.scalars(events_of(uri)).all()]


def queued_consumers(uri: str) -> list[str]:
    from airflow.models.asset import AssetDagRunQueue, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = (
            select(AssetDagRunQueue.target_dag_id)
            .join(AssetModel, AssetModel.id == AssetDagRunQueue.asset_id)
            .where(AssetModel.uri == uri)
        )
        return list(session.scalars(query).all())


def consume_like_the_scheduler(monkeypatch: pytest.MonkeyPatch, uri: str) -> None:
    """dag.test() starts a manual run; attach the asset's events to it, as the scheduler does for its runs."""
    from airflow.models import dagrun

    original = dagrun.get_or_create_dagrun

    def with_events(*args: Any, **kwargs: Any) -> Any:
        dr = original(*args, **kwargs)
        session = kwargs["session"]
        dr.consumed_asset_events.extend(session.scalars(events_of(uri)).all())
        session.commit()
        return dr

    monkeypatch.setattr(dagrun, "get_or_create_dagrun", with_events)
