"""Evidence cannot silently go missing: the archive root's index is checked both ways, and distinct ids
never share a folder."""

from __future__ import annotations

import json
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests_mock as rm

from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.evidence.archive_index import INDEX_DIR, list_files, write_entry
from airflow_provider_legallymail.evidence.files import to_path
from airflow_provider_legallymail.evidence.manifest import verify_archive
from airflow_provider_legallymail.evidence.targets import folder_name
from airflow_provider_legallymail.evidence.verify import main
from airflow_provider_legallymail.exceptions import EvidenceIntegrityError
from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from tests.unit.evidence.fakes import SMS_UUID, UUID, FakeApi

pytestmark = pytest.mark.usefixtures("lm_conn")


def archive(root: Path, evidence: Any, kind: str | None = None, layout: str = "{{ kind }}/{{ id }}") -> Any:
    op = ArchiveEvidenceOperator(task_id="a", evidence=evidence, kind=kind, destination=root, layout=layout)
    return op.execute({"ti": type("TI", (), {"xcom_push": lambda *a, **k: None})()})  # type: ignore[typeddict-item]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An archive root holding a signature request and an SMS, archived by two separate tasks."""
    with rm.Mocker() as m:
        api = FakeApi(m)
        api.signature()
        api.sms()
        archive(tmp_path, UUID, "signature")
        archive(tmp_path, SMS_UUID, "sms")
    assert verify_archive(tmp_path).ok, verify_archive(tmp_path).to_text()
    return tmp_path


def failed(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The CLI's report on ``path``, asserting it exits 1."""
    assert main([str(path)]) == 1
    return capsys.readouterr().out


def test_a_deleted_manifest_fails_verification_naming_it(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = root / "signature" / UUID / "manifest.json"
    manifest.unlink()
    out = failed(root, capsys)
    assert f"MISSING {manifest}: the index lists this archive, its manifest is gone" in out
    assert out.rstrip().splitlines()[-1].startswith("FAILED: 1 archive(s)")


def test_a_manifest_that_stops_listing_an_archived_file_fails(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = root / "signature" / UUID
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"] = [f for f in manifest["files"] if f["name"] != "acta.pdf"]
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    out = failed(root, capsys)
    assert f"UNLISTED {folder}/acta.pdf: in the folder, not in its manifest" in out
    assert f"CHANGED {folder}/manifest.json: index sha256" in out
    (folder / "acta.pdf").unlink()  # and the evidence itself deleted too: the index still tells
    assert f"CHANGED {folder}/manifest.json: index sha256" in failed(root, capsys)


def test_a_deleted_archive_folder_fails_verification(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = root / "sms" / SMS_UUID
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    out = failed(root, capsys)
    assert f"MISSING archive {folder}: in the index, no longer in the archive" in out
    assert f"MISSING archive {folder}" in failed(folder, capsys)  # asked about that archive alone, too


def test_an_archive_the_index_does_not_know_fails(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for entry in (root / INDEX_DIR).iterdir():
        entry.unlink()
    out = failed(root, capsys)
    assert f"UNINDEXED {root}/sms/{SMS_UUID}: not in the archive index" in out
    assert main(["--adopt", str(root)]) == 0  # an auditor adopts archives of earlier releases once
    assert "ADOPTED" in capsys.readouterr().out


def test_files_without_manifest_or_index_entry_fail(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = root / "signature" / UUID
    (folder / "manifest.json").unlink()
    for entry in (root / INDEX_DIR).iterdir():
        if UUID in entry.read_text():
            entry.unlink()
    assert f"NO MANIFEST {folder}: holds 2 file(s) and no manifest.json" in failed(root, capsys)


def test_index_entries_of_concurrent_archive_tasks_are_all_kept(tmp_path: Path) -> None:
    root = to_path(tmp_path)
    folders = [root / "email" / f"cm_{i}" for i in range(40)]
    with ThreadPoolExecutor(8) as pool:  # eight writers on one root, as hosts archiving at the same time
        list(pool.map(lambda f: write_entry(root, f, "email", f.name, "0" * 64), folders))
    assert sorted(list_files(root).indexed) == sorted(f.path for f in folders)
    entries = list((tmp_path / INDEX_DIR).iterdir())
    assert len(entries) == 40 and {stat.S_IMODE(os.stat(e).st_mode) for e in entries} == {0o600}


def test_archived_evidence_files_are_private(root: Path) -> None:
    files = [p for p in root.rglob("*") if p.is_file()]
    assert {stat.S_IMODE(os.stat(p).st_mode) for p in files} == {0o600}
    assert {stat.S_IMODE(os.stat(p).st_mode) for p in root.rglob("*") if p.is_dir()} == {0o700}


# -- distinct ids, distinct folders ---------------------------------------------------------------
TRICKY_IDS = [
    "grp/one",
    "grp//one",
    "grp/one/",
    "/grp/one",
    "grp%2Fone",
    "grp-one",
    "grp~one",
    "GRP/one",
    "ABC",
    "abc",
    "Abc",
    "a b",
    "a_b",
    ".",
    "..",
    ".hidden",
    "x.",
    "x" * 150,
    "x" * 151,
    "é",
    "e",
    UUID,
    UUID.upper(),
    "cm_abc123",
]


def test_distinct_ids_map_to_distinct_safe_folder_names() -> None:
    names = [folder_name(i) for i in TRICKY_IDS]
    assert len(set(names)) == len(TRICKY_IDS)
    assert len({n.lower() for n in names}) == len(TRICKY_IDS)  # a case-insensitive disk too
    assert all("/" not in n and n not in (".", "..") and not n.startswith(".") and len(n) <= 100 for n in names)
    assert folder_name(UUID) == UUID and folder_name("cm_abc123") == "cm_abc123"  # earlier archives still found


def test_ids_that_an_earlier_mapping_merged_get_their_own_folders(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        api = FakeApi(m)
        api.signature(uuid="grp/one")
        api.signature(uuid="grp//one")
        result = archive(tmp_path, ["grp/one", "grp//one"], "signature")
    folders = [Path(a["location"]) for a in result["archives"]]
    assert len(set(folders)) == 2
    for folder, ident in zip(folders, ["grp/one", "grp//one"], strict=True):
        manifest = json.loads((folder / "manifest.json").read_text())
        assert (
            manifest["id"] == ident
            and (folder / "acta.pdf").read_bytes() == api.files[manifest["files"][1]["source_url"]]
        )
    assert verify_archive(tmp_path).ok


def test_a_layout_that_gives_two_ids_one_folder_fails_before_any_request(tmp_path: Path) -> None:
    with rm.Mocker() as m, pytest.raises(AirflowFailException, match="one folder"):
        archive(tmp_path, [UUID, SMS_UUID.replace("8d", "9d")], "signature", layout="{{ kind }}")
    assert m.call_count == 0


def test_a_folder_holding_another_ids_archive_is_never_written(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        api = FakeApi(m)
        api.signature()
        api.signature(uuid="other")
        archive(tmp_path, UUID, "signature", layout="contracts")
        before = (tmp_path / "contracts" / "manifest.json").read_bytes()
        with pytest.raises(EvidenceIntegrityError, match="already holds the archive of signature " + UUID):
            archive(tmp_path, "other", "signature", layout="contracts")
    assert (tmp_path / "contracts" / "manifest.json").read_bytes() == before
    assert verify_archive(tmp_path).ok
