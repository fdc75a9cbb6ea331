"""The examples of the archive-evidence and evidence pages, run against the sandbox: what lands in the archive,
what the manifest and the return value say, what verification finds, and where the archive may live."""

from __future__ import annotations

import configparser
import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.evidence.destination import archive_root, default_destination
from airflow_provider_legallymail.evidence.manifest import verify_archive
from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.pdf import render_pdf
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_snippet, run, snippet_text, states, xcom
from tests.integration.test_evidence_dags import asset_events
from tests.snippets.test_operators_legallymail import logged

pytestmark = pytest.mark.usefixtures("airflow_db")


def archived_notice(sandbox: SandboxServer, evidence: Path) -> tuple[Any, dict[str, Any]]:
    dag_run = run(load_snippet("archive_after_wait", {"/path/to/evidence": str(evidence)}))
    assert states(dag_run) == {"notice": ("success", 1), "archive": ("success", 1)}
    return dag_run, xcom(dag_run, "archive")


def test_the_read_notice_is_archived_from_what_the_wait_saw(
    sped_up: SandboxServer, connect: None, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    evidence = tmp_path / "evidence"
    dag_run, result = archived_notice(sped_up, evidence)
    (tracking_id,) = xcom(dag_run, "notice")["parent_tracking_ids"]
    folder = evidence / "notices" / dag_run.logical_date.date().isoformat() / tracking_id
    recipient_ids = xcom(dag_run, "notice")["tracking_ids"].values()
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["manifest.json", *(f"certificate-{rid}-read.pdf" for rid in recipient_ids)]
    )
    (archive,) = result["archives"]
    assert (archive["kind"], archive["id"], archive["location"]) == ("email", tracking_id, str(folder))
    assert result["downloaded"] == 2 and result["already_present"] == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["source"]["from"] == "wait" and manifest["status"] in ("read", "pending")
    assert {f["name"] for f in manifest["files"]} == {f"certificate-{rid}-read.pdf" for rid in recipient_ids}
    assert all(f["verified_against_api"] and f["sha256"] == f["api_sha256"] for f in manifest["files"])
    assert verify_archive(evidence).ok
    log = logged(capfd)
    assert "1 item(s) archived from what a wait or an event observed: no status request" in log
    assert "Archived 1 item(s): 2 file(s) downloaded, 0 already present" in log


def test_a_changed_certificate_fails_the_audit_naming_the_file(
    sped_up: SandboxServer, connect: None, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    evidence = tmp_path / "evidence"
    archived_notice(sped_up, evidence)
    audit = load_snippet("evidence_audit", {"/path/to/evidence": str(evidence)})
    first = run(audit)
    assert states(first) == {"verify_evidence": ("success", 1)} and xcom(first, "verify_evidence") == 1
    (certificate, *_) = sorted(evidence.rglob("certificate-*.pdf"))
    certificate.write_bytes(certificate.read_bytes() + b"\n")
    second = run(audit)
    assert states(second) == {"verify_evidence": ("failed", 1)}
    assert f"CHANGED {certificate.parent}/{certificate.name}: manifest sha256" in logged(capfd)


def test_signature_requests_archived_by_uuid_with_an_asset_event_and_nothing_fetched_twice(
    sandbox: SandboxServer, connect: None, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    hook = LegallyMailHook()
    document = render_pdf("Contract", ["ACME and Ana"])
    uuids = [
        hook.request_signature(document, f"Contract-{n}.pdf", [{"name": "Ana", "email": "ana@example.com"}]).uuid
        for n in range(2)
    ]
    sandbox.advance(70)  # both signed
    dag = load_snippet("archive_from_ids", {"file:///path/to/evidence": f"file://{tmp_path}"})
    dag_run = run(dag, uuids=uuids)
    assert states(dag_run) == {"archive": ("success", 1)}
    for uuid in uuids:
        folder = tmp_path / "signature" / uuid
        assert sorted(p.name for p in folder.iterdir()) == ["acta.pdf", "manifest.json", "original.pdf"]
    result = xcom(dag_run, "archive")
    assert [a["status"] for a in result["archives"]] == ["signed", "signed"]
    assert "Reading the status of 2 item(s) (one request each)" in logged(capfd)
    events = asset_events("legallymail://evidence/contracts")  # other DAGs in the database may use the asset
    (event,) = [e for e in events if {a["id"] for a in e["archives"]} & set(uuids)]
    assert sorted(a["id"] for a in event["archives"]) == sorted(uuids)
    assert set(event["archives"][0]["files"]) == {"original.pdf", "acta.pdf"}
    again = xcom(run(dag, uuids=uuids), "archive")
    assert (again["downloaded"], again["already_present"]) == (0, 4)


def test_a_bare_uuid_without_kind_fails_before_any_request(
    sandbox: SandboxServer, connect: None, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    replace = {"file:///path/to/evidence": f"file://{tmp_path}", 'kind="signature",': ""}
    dag_run = run(load_snippet("archive_from_ids", replace), uuids=["8f6c2a0e-3b1d-4c1e-9a59-2f0d3c1b7a11"])
    assert states(dag_run) == {"archive": ("failed", 1)}
    assert sandbox.received(api="legallymail") == []
    assert "evidence: '8f6c2a0e-3b1d-4c1e-9a59-2f0d3c1b7a11' is a bare id: set kind=" in logged(capfd)


def settings(text: str) -> dict[str, str]:
    """The [legallymail] section of an airflow.cfg fragment, read as Airflow reads airflow.cfg."""
    parser = configparser.ConfigParser()
    parser.read_string(text)
    return {key: value for key, value in parser["legallymail"].items()}


def as_environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    """What Airflow reads from airflow.cfg, given as AIRFLOW__LEGALLYMAIL__* variables."""
    for key, value in values.items():
        monkeypatch.setenv(f"AIRFLOW__LEGALLYMAIL__{key.upper()}", value)


def test_evidence_path_is_the_default_destination(monkeypatch: pytest.MonkeyPatch) -> None:
    values = settings(snippet_text("evidence_path.cfg"))
    assert values == {"evidence_path": "s3://legal-archive/evidence"}
    as_environment(monkeypatch, values)
    assert default_destination() == "s3://legal-archive/evidence"


def test_a_local_evidence_path_on_several_hosts_needs_evidence_path_shared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = settings(snippet_text("evidence_path_shared.cfg"))
    assert values == {"evidence_path": "file:///mnt/legal-evidence", "evidence_path_shared": "True"}
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    as_environment(monkeypatch, {"evidence_path": values["evidence_path"]})
    with pytest.raises(ValidationError, match="evidence_path_shared = True"):
        archive_root(None)  # not declared shared: refused before any request
    as_environment(monkeypatch, values)
    assert str(archive_root(None)).endswith("/mnt/legal-evidence")
