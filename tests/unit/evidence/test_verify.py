"""``verify_archive`` and ``legallymail-verify-archive``: an auditor's later check of an archive."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests_mock as rm

from airflow_provider_legallymail.evidence.manifest import verify_archive
from airflow_provider_legallymail.evidence.verify import main
from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from tests.unit.evidence.fakes import UUID, FakeApi, sha


@pytest.fixture
def archived(tmp_path: Path, lm_conn: str) -> Path:
    """A signed request archived under tmp_path/signature/<uuid>."""
    with rm.Mocker() as m:
        FakeApi(m).signature()
        op = ArchiveEvidenceOperator(task_id="a", evidence=UUID, kind="signature", destination=tmp_path)
        op.execute({"ti": type("TI", (), {"xcom_push": lambda *a, **k: None})()})  # type: ignore[typeddict-item]
    return tmp_path / "signature" / UUID


def test_an_intact_archive_verifies_from_any_level(archived: Path) -> None:
    for path in (archived.parent.parent, archived, archived / "manifest.json"):
        report = verify_archive(path)
        assert report.ok, report.to_text()
        assert sorted(c.name for c in report.checks) == ["acta.pdf", "original.pdf"]


def test_a_file_changed_after_archiving_is_reported_with_both_hashes(archived: Path) -> None:
    acta = archived / "acta.pdf"
    recorded = sha(acta.read_bytes())
    acta.write_bytes(acta.read_bytes() + b"\n% appended later\n")
    report = verify_archive(archived.parent)
    assert not report.ok
    [problem] = report.problems
    assert (problem.name, problem.state, problem.recorded_sha256) == ("acta.pdf", "changed", recorded)
    assert problem.actual_sha256 == sha(acta.read_bytes())
    assert f"CHANGED {archived}/acta.pdf: manifest sha256 {recorded}" in report.to_text()


def test_missing_and_unlisted_files_are_reported(archived: Path) -> None:
    (archived / "original.pdf").unlink()
    (archived / "extra.pdf").write_bytes(b"%PDF-who put this here")
    (archived / ".acta.pdf.1234.part").write_bytes(b"%PDF-half")  # a download in progress is not evidence
    report = verify_archive(archived)
    assert [(c.name, c.state) for c in report.problems] == [("original.pdf", "missing")]
    assert report.unlisted == [f"{archived}/extra.pdf"]


def test_a_folder_without_manifest_is_not_ok(tmp_path: Path) -> None:
    report = verify_archive(tmp_path)
    assert not report.ok
    assert "no manifest.json found" in report.to_text()


def test_cli_exit_status_and_report(archived: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(archived.parent)]) == 0
    assert capsys.readouterr().out.startswith("OK: 1 archive(s), 2 file(s) checked")
    (archived / "original.pdf").write_bytes(b"%PDF-forged")
    assert main([str(archived.parent)]) == 1
    assert "CHANGED" in capsys.readouterr().out


def test_cli_runs_as_a_module(archived: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "airflow_provider_legallymail.evidence.verify", str(archived)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "OK: 1 archive(s)" in done.stdout
