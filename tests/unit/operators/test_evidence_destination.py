"""Where ArchiveEvidenceOperator writes: ``[legallymail] evidence_path`` by default, and never a worker's own
disk when tasks run on several hosts (unless the path is declared a shared mount)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests_mock as rm

from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.evidence.manifest import verify_archive
from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from airflow_provider_legallymail.topology import K8S_EXECUTOR_POD
from tests.unit.evidence.fakes import UUID, FakeApi
from tests.unit.operators.test_evidence import context

pytestmark = pytest.mark.usefixtures("lm_conn")
SETTINGS = ("[legallymail] evidence_path", "[legallymail] evidence_path_shared")


@pytest.fixture
def celery(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Tasks run on several hosts; no evidence setting yet."""
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    monkeypatch.delenv(K8S_EXECUTOR_POD, raising=False)
    monkeypatch.delenv("AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH", raising=False)
    monkeypatch.delenv("AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH_SHARED", raising=False)
    return monkeypatch


def archive_signature(**kwargs: Any) -> dict[str, Any]:
    op = ArchiveEvidenceOperator(task_id="archive", evidence=UUID, kind="signature", **kwargs)
    result: dict[str, Any] = op.execute(context())
    return result


def test_without_a_destination_the_archive_goes_to_evidence_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH", f"file://{tmp_path}/evidence")
    with rm.Mocker() as m:
        FakeApi(m).signature()
        result = archive_signature()
    folder = tmp_path / "evidence" / "signature" / UUID
    assert result["archives"][0]["manifest"] == f"file://{folder}/manifest.json"
    assert sorted(p.name for p in folder.iterdir()) == ["acta.pdf", "manifest.json", "original.pdf"]
    assert verify_archive(f"file://{tmp_path}/evidence").ok


def test_an_explicit_destination_still_wins_over_evidence_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH", f"file://{tmp_path}/configured")
    with rm.Mocker() as m:
        FakeApi(m).signature()
        archive_signature(destination=tmp_path / "explicit")
    assert (tmp_path / "explicit" / "signature" / UUID / "manifest.json").exists()
    assert not (tmp_path / "configured").exists()


def test_with_nothing_configured_the_archive_goes_under_airflow_home(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.delenv("AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH", raising=False)
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    with rm.Mocker() as m:
        FakeApi(m).signature()
        result = archive_signature()
    expected = Path(os.environ["AIRFLOW_HOME"]).resolve() / "legallymail" / "evidence" / "signature" / UUID
    assert result["archives"][0]["location"] == f"file://{expected}"
    assert (expected / "acta.pdf").exists()


@pytest.mark.parametrize("where", ["default", "evidence_path", "file_url", "plain_path"])
def test_a_local_archive_under_a_distributed_executor_fails_before_any_request_naming_both_settings(
    celery: pytest.MonkeyPatch, tmp_path: Path, where: str
) -> None:
    kwargs: dict[str, Any] = {}
    if where == "evidence_path":
        celery.setenv("AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH", f"file://{tmp_path}/evidence")
    elif where == "file_url":
        kwargs["destination"] = f"file://{tmp_path}/evidence"
    elif where == "plain_path":
        kwargs["destination"] = str(tmp_path / "evidence")
    with rm.Mocker() as m:
        FakeApi(m).signature()
        with pytest.raises(AirflowFailException) as caught:
            archive_signature(**kwargs)
    assert m.call_count == 0  # not even the API call that lists the files
    message = str(caught.value)
    assert all(setting in message for setting in SETTINGS), message
    assert "CeleryExecutor" in message and "another host" in message
    assert not (tmp_path / "evidence").exists()


def test_a_kubernetes_executor_pod_refuses_a_local_archive_too(celery: pytest.MonkeyPatch, tmp_path: Path) -> None:
    celery.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    celery.setenv(K8S_EXECUTOR_POD, "True")
    with rm.Mocker() as m, pytest.raises(AirflowFailException, match="evidence_path_shared"):
        archive_signature(destination=tmp_path)
    assert m.call_count == 0


def test_a_local_path_declared_shared_is_archived_under_a_distributed_executor(
    celery: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    celery.setenv("AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH", f"file://{tmp_path}/nfs")
    celery.setenv("AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH_SHARED", "True")
    with rm.Mocker() as m:
        FakeApi(m).signature()
        result = archive_signature()
    assert result["downloaded"] == 2
    assert verify_archive(f"file://{tmp_path}/nfs").ok


def test_object_storage_is_archived_under_a_distributed_executor(celery: pytest.MonkeyPatch) -> None:
    import fsspec  # type: ignore[import-untyped]
    from airflow.sdk.io import attach

    attach("memory", fs=fsspec.filesystem("memory"))
    celery.setenv("AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH", "memory://evidence/celery")
    with rm.Mocker() as m:
        FakeApi(m).signature()
        result = archive_signature()
    manifest = fsspec.filesystem("memory").cat(f"/evidence/celery/signature/{UUID}/manifest.json")
    assert json.loads(manifest)["id"] == UUID
    assert result["downloaded"] == 2 and verify_archive("memory://evidence/celery").ok


def test_a_misspelt_shared_flag_fails_naming_it(celery: pytest.MonkeyPatch, tmp_path: Path) -> None:
    celery.setenv("AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH_SHARED", "ture")
    with rm.Mocker() as m, pytest.raises(AirflowFailException, match=r"\[legallymail\] evidence_path_shared = 'ture'"):
        archive_signature(destination=tmp_path)
    assert m.call_count == 0
