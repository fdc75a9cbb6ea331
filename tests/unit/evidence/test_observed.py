"""Archiving what a wait observed: the same files, names and hashes as reading the status, with no status read.

The wait's result is built as a wait builds it (the hook's answer -> observation -> ``decision.result``) from
the documented examples served by ``FakeApi``; the archive then runs on it at the HTTP boundary.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import requests_mock as rm

from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.evidence.manifest import verify_archive
from airflow_provider_legallymail.exceptions import EvidenceIntegrityError
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from airflow_provider_legallymail.waiting.decision import Reached, decide, result
from airflow_provider_legallymail.waiting.events import payload
from airflow_provider_legallymail.waiting.observations import fetch_observation
from airflow_provider_legallymail.waiting.wait import wait_spec
from tests.unit.evidence.fakes import SMS_UUID, UUID, FakeApi

pytestmark = pytest.mark.usefixtures("lm_conn")
EMAIL_ID = "cm_abc123"
NOW = 1_800_000_000.0
TARGETS = {"email": "delivered", "signature": "signed", "sms": "delivered"}


class FakeTI:
    def xcom_push(self, key: str, value: Any) -> None:
        pass


def waited(kind: str, ident: str) -> dict[str, Any]:
    """The ``WaitResult`` a sensor returns for ``ident``, from one read of the API as it is now."""
    observation = fetch_observation(LegallyMailHook(), kind, ident)
    spec = wait_spec(kind, ident, TARGETS[kind], deadline=NOW + 60)
    decision = decide(spec, {ident: observation}, NOW)
    assert decision == Reached()
    return dict(result(spec, {ident: observation}, decision, NOW))


def archive(dest: Path, evidence: Any, **kwargs: Any) -> dict[str, Any]:
    op = ArchiveEvidenceOperator(task_id="archive", evidence=evidence, destination=dest, **kwargs)
    out: dict[str, Any] = op.execute({"ti": FakeTI(), "ds": "2024-01-15"})  # type: ignore[typeddict-item]
    return out


def status_reads(m: rm.Mocker) -> int:
    return sum(1 for r in m.request_history if r.path.startswith("/api/"))


def files_of(folder: Path) -> list[tuple[str, str | None, str]]:
    manifest = json.loads((folder / "manifest.json").read_text())
    return sorted((f["name"], f["api_sha256"], f["source_url"]) for f in manifest["files"])


def test_a_wait_result_archives_the_same_files_as_reading_the_status_with_no_status_request(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        api = FakeApi(m)
        api.email(delivered_and_read=True)
        api.signature()
        api.sms()
        results = [waited("email", EMAIL_ID), waited("signature", UUID), waited("sms", SMS_UUID)]
        m.reset_mock()
        observed = archive(tmp_path / "observed", results)
        assert status_reads(m) == 0 and api.downloads() == 3 + 2 + 1  # 3 certificates, original, acta, SMS
        read = archive(tmp_path / "read", [EMAIL_ID], kind="email")
        read_sig = archive(tmp_path / "read", [UUID], kind="signature")
        read_sms = archive(tmp_path / "read", [SMS_UUID], kind="sms")
    assert observed["downloaded"] == 6 and read["downloaded"] + read_sig["downloaded"] + read_sms["downloaded"] == 6
    for kind, ident in (("email", EMAIL_ID), ("signature", UUID), ("sms", SMS_UUID)):
        assert files_of(tmp_path / "observed" / kind / ident) == files_of(tmp_path / "read" / kind / ident)
    manifest = json.loads((tmp_path / "observed" / "email" / EMAIL_ID / "manifest.json").read_text())
    assert manifest["source"] == {"from": "wait", "observed_at": results[0]["decided_at"]}
    assert manifest["statuses"] == {"recipient1@example.com": "read", "recipient2@example.com": "delivered"}
    assert "source" not in json.loads((tmp_path / "read" / "email" / EMAIL_ID / "manifest.json").read_text())
    signature = json.loads((tmp_path / "observed" / "signature" / UUID / "manifest.json").read_text())
    assert signature["status"] == "signed" and signature["facts"]["document_name"] == "Contract.pdf"
    assert verify_archive(tmp_path / "observed").ok


def test_an_event_payload_archives_without_a_status_request(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        api = FakeApi(m)
        api.signature()
        observation = fetch_observation(LegallyMailHook(), "signature", UUID)
        event_payload = payload("signed", observation, "legallymail_default", NOW)
        event = {"from_trigger": True, "payload": event_payload}
        m.reset_mock()
        out = archive(tmp_path, [event])
        assert status_reads(m) == 0 and api.downloads() == 2
    manifest = json.loads((tmp_path / "signature" / UUID / "manifest.json").read_text())
    assert manifest["source"]["from"] == "event" and manifest["source"]["observed_at"] == event_payload["detected_at"]
    assert out["archives"][0]["status"] == "signed"


def test_a_hash_changed_in_the_observation_fails_verification_and_writes_nothing(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        api = FakeApi(m)
        api.email()
        tampered = waited("email", EMAIL_ID)
        tampered["recipients"][0]["certificates"][0]["hash"] = "0" * 64
        with pytest.raises(EvidenceIntegrityError, match="but the file_hash the wait observed is 0000"):
            archive(tmp_path, tampered, max_active_downloads=1)
    assert not list((tmp_path / "email" / EMAIL_ID).glob("*read.pdf"))
    assert not (tmp_path / "email" / EMAIL_ID / "manifest.json").exists()


def test_a_missing_hash_or_a_bare_id_reads_the_status_and_the_log_says_which(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with rm.Mocker() as m:
        api = FakeApi(m)
        api.email()
        api.signature()
        bare = waited("email", EMAIL_ID)
        bare["recipients"][1]["certificates"][0]["hash"] = None  # dropped on its way: not trusted unverified
        m.reset_mock()
        out = archive(tmp_path, [bare, {"kind": "signature", "id": UUID}])
        assert status_reads(m) == 2
    logged = capfd.readouterr().out
    assert "Reading the status of 2 item(s)" in logged
    assert "recipient2@example.com's delivered certificate has no hash" in logged
    assert f"signature {UUID}: no wait result or event holds it" in logged
    manifest = json.loads((tmp_path / "email" / EMAIL_ID / "manifest.json").read_text())
    assert "source" not in manifest and all(f["verified_against_api"] for f in manifest["files"])
    assert out["downloaded"] == 4


def test_a_result_from_before_the_observation_held_hashes_reads_the_status(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        api = FakeApi(m)
        api.signature()
        old = waited("signature", UUID)
        for documents in old["documents"].values():
            del documents["document_hash"], documents["status"]
        m.reset_mock()
        archive(tmp_path, old)
        assert status_reads(m) == 1
    assert verify_archive(tmp_path).ok


def test_bad_input_still_fails_before_any_request(tmp_path: Path) -> None:
    broken = {"kind": "email", "ids": "cm_1", "outcome": "reached"}  # ids not a list: not a wait's result
    with rm.Mocker() as m, pytest.raises(AirflowFailException, match="names nothing to archive"):
        archive(tmp_path, copy.deepcopy(broken))
    assert not m.request_history


def test_a_failed_or_settled_result_archives_what_each_party_has_and_a_bounce_has_none(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        api = FakeApi(m)
        api.email()
        settled = waited("email", EMAIL_ID)
        bounced = settled["recipients"][1]
        bounced.update(status="bounced", reason="Mailbox does not exist", certificates=[])
        settled.update(outcome="failed", failed={"who": bounced["who"], "reason": "bounced", "status": "bounced"})
        m.reset_mock()
        out = archive(tmp_path, settled)
        assert status_reads(m) == 0 and api.downloads() == 1
    [summary] = out["archives"]
    assert summary["statuses"] == {"recipient1@example.com": "read", "recipient2@example.com": "bounced"}
    assert summary["status"] == "mixed" and list(summary["files"]) == ["certificate-cm_rec1_xyz-read.pdf"]
    manifest = json.loads((tmp_path / "email" / EMAIL_ID / "manifest.json").read_text())
    assert manifest["facts"]["recipients"][1]["error_details"] == "Mailbox does not exist"
