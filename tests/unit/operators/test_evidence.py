"""ArchiveEvidenceOperator at the HTTP boundary: what lands in the archive, verification, re-runs, links, events."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests_mock as rm

from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.evidence.files import STALE_PART_SECONDS
from airflow_provider_legallymail.evidence.manifest import verify_archive
from airflow_provider_legallymail.exceptions import EvidenceIntegrityError
from airflow_provider_legallymail.links import EVIDENCE_LINKS_XCOM_KEY, EvidenceLink
from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from tests.conftest import LM_URL, TOKEN
from tests.unit.evidence.fakes import SMS_UUID, UUID, FakeApi, sha

pytestmark = pytest.mark.usefixtures("lm_conn")
EMAIL_ID = "cm_abc123"
FOLDER = f"email/{EMAIL_ID}"


class FakeTI:
    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


def context(**extra: Any) -> Any:
    return {"ti": FakeTI(), "ds": "2024-01-15", **extra}


def archive(dest: Any, evidence: Any = EMAIL_ID, ctx: Any = None, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("kind", "email" if evidence == EMAIL_ID else None)
    op = ArchiveEvidenceOperator(task_id="archive", evidence=evidence, destination=dest, **kwargs)
    result: dict[str, Any] = op.execute(ctx if ctx is not None else context())
    return result


def test_documented_email_is_archived_verified_and_described(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        api = FakeApi(m)
        api.email()
        result = archive(tmp_path)
    folder = tmp_path / FOLDER
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["certificate-cm_rec1_xyz-read.pdf", "certificate-cm_rec2_abc-delivered.pdf", "manifest.json"]
    for url, data in api.files.items():
        assert data in {p.read_bytes() for p in folder.glob("*.pdf")}, url
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["statuses"] == {"recipient1@example.com": "read", "recipient2@example.com": "delivered"}
    read = next(f for f in manifest["files"] if f["stage"] == "read")
    assert read["sha256"] == read["api_sha256"] == sha((folder / read["name"]).read_bytes())
    assert read["api_hash_field"] == "file_hash" and read["verified_against_api"] is True
    assert read["source_url"] == "https://legallymail.com/emails/download-certificate?id=cm_rec1_xyz&status=read"
    assert manifest["provider_version"] and manifest["facts"]["recipients"][0]["read_at"]
    assert result["downloaded"] == 2 and result["archives"][0]["manifest"].endswith(f"{FOLDER}/manifest.json")
    assert verify_archive(tmp_path).ok


def test_a_second_run_downloads_nothing_and_keeps_the_manifest(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        api = FakeApi(m)
        api.email(delivered_and_read=True)
        archive(tmp_path)
        first = (tmp_path / FOLDER / "manifest.json").read_text()
        before = api.downloads()
        result = archive(tmp_path)
    assert before == 3 and api.downloads() == 3
    assert (result["downloaded"], result["already_present"]) == (0, 3)
    assert (tmp_path / FOLDER / "manifest.json").read_text() == first


def test_a_file_with_the_wrong_hash_fails_naming_it_and_both_hashes_and_is_not_kept(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        body = FakeApi(m).email()
        bad_url = body["email"]["recipients"][0]["certificates"][0]["pdf_download_url"]
        m.get(bad_url, content=b"%PDF-1.4 forged")
        expected = body["email"]["recipients"][0]["certificates"][0]["file_hash"]
        with pytest.raises(EvidenceIntegrityError) as caught:
            archive(tmp_path, max_active_downloads=1)
    message = str(caught.value)
    assert "certificate-cm_rec1_xyz-read.pdf" in message
    assert expected in message and sha(b"%PDF-1.4 forged") in message and "file_hash" in message
    assert not (tmp_path / FOLDER / "certificate-cm_rec1_xyz-read.pdf").exists()
    assert not (tmp_path / FOLDER / "manifest.json").exists()
    assert [p.name for p in (tmp_path / FOLDER).iterdir() if p.name.endswith(".part")] == []


def test_an_interrupted_run_is_repaired_by_the_next_one(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        api = FakeApi(m)
        body = api.email()
        second = body["email"]["recipients"][1]["certificates"][0]["pdf_download_url"]
        m.get(second, status_code=404, json={"success": False, "message": "gone for now"})
        with pytest.raises(Exception, match="gone for now"):
            archive(tmp_path, max_active_downloads=1)
        leftover = tmp_path / FOLDER / ".certificate-cm_rec2_abc-delivered.pdf.dead.part"
        leftover.write_bytes(b"%PDF-half")  # what a killed worker left behind, untouched since
        stale = time.time() - STALE_PART_SECONDS - 1
        os.utime(leftover, (stale, stale))
        m.get(second, content=api.files[second])
        result = archive(tmp_path)
    assert (result["downloaded"], result["already_present"]) == (1, 1)
    assert not leftover.exists()
    assert verify_archive(tmp_path).ok


def test_a_file_changed_after_archiving_fails_the_next_run_and_is_left_untouched(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        FakeApi(m).email()
        archive(tmp_path)
        changed = tmp_path / FOLDER / "certificate-cm_rec2_abc-delivered.pdf"
        changed.write_bytes(b"%PDF-edited")
        with pytest.raises(EvidenceIntegrityError, match="changed after archiving"):
            archive(tmp_path)
    assert changed.read_bytes() == b"%PDF-edited"


def test_signature_and_sms_from_operator_results_in_one_task(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        FakeApi(m).signature()
        FakeApi(m).sms()
        result = archive(tmp_path, [{"uuid": UUID, "document_name": "c.pdf"}, {"uuid": SMS_UUID, "phone": "+34"}])
    kinds = {a["kind"]: sorted(a["files"]) for a in result["archives"]}
    assert kinds == {"signature": ["acta.pdf", "original.pdf"], "sms": ["sms-certificate.pdf"]}
    sms_manifest = json.loads((tmp_path / "sms" / SMS_UUID / "manifest.json").read_text())
    entry = sms_manifest["files"][0]
    assert entry["api_sha256"] is None and entry["verified_against_api"] is False
    assert "publishes no hash" in entry["note"]


def test_memory_object_storage_destination(tmp_path: Path) -> None:
    import fsspec  # type: ignore[import-untyped]
    from airflow.sdk.io import attach

    attach("memory", fs=fsspec.filesystem("memory"))
    with rm.Mocker() as m:
        api = FakeApi(m)
        api.email()
        archive("memory://evidence/unit")
        again = archive("memory://evidence/unit")
    store = fsspec.filesystem("memory")
    assert store.cat(f"/evidence/unit/{FOLDER}/certificate-cm_rec1_xyz-read.pdf") in api.files.values()
    assert again["downloaded"] == 0 and verify_archive("memory://evidence/unit").ok


def test_layout_is_rendered_per_id_with_the_task_context(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        FakeApi(m).email()
        result = archive(tmp_path, layout="{{ ds }}/mail-{{ tracking_id }}")
    assert result["archives"][0]["location"] == str(tmp_path / "2024-01-15" / f"mail-{EMAIL_ID}")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"evidence": "u-1", "kind": None}, "evidence"),
        ({"kind": "fax"}, "kind"),
        ({"layout": "../{{ id }}"}, "layout"),
        ({"layout": "{{ no_such_thing.attr }}"}, "layout"),
        ({"destination": ""}, "destination"),
        ({"max_active_downloads": 0}, "max_active_downloads"),
    ],
)
def test_bad_input_fails_naming_the_field_before_any_request(tmp_path: Path, kwargs: Any, field: str) -> None:
    args: dict[str, Any] = {"evidence": EMAIL_ID, "kind": "email", "destination": tmp_path, **kwargs}
    op = ArchiveEvidenceOperator(task_id="archive", **args)
    with rm.Mocker() as m, pytest.raises(AirflowFailException, match=f"^{field}: "):
        op.execute(context())
    assert m.call_count == 0


def test_links_list_every_file_seen_with_the_api_url_and_never_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = context()
    caplog.set_level(logging.DEBUG)
    with rm.Mocker() as m:
        api = FakeApi(m)
        body = api.email()
        cert = body["email"]["recipients"][0]["certificates"][0]
        token_url = f"{cert['pdf_download_url']}&token={TOKEN}"  # were the API ever to put it in a URL
        m.get(token_url, content=api.files[cert["pdf_download_url"]])
        cert["pdf_download_url"] = token_url
        m.get(f"{LM_URL}/api/email?tracking_id={EMAIL_ID}", json=body)
        result = archive(tmp_path, ctx=ctx)
    links = ctx["ti"].xcom[EVIDENCE_LINKS_XCOM_KEY]
    assert [entry["label"] for entry in links] == [
        f"recipient1@example.com: read certificate ({EMAIL_ID})",
        f"recipient2@example.com: delivered certificate ({EMAIL_ID})",
    ]
    assert links[0]["url"] == cert["pdf_download_url"].replace(f"&token={TOKEN}", "")
    from airflow.sdk.execution_time import xcom

    monkeypatch.setattr(xcom.XCom, "get_value", staticmethod(lambda ti_key, key: links))
    assert EvidenceLink(1).get_link(SimpleNamespace(), ti_key=None) == links[1]["url"]
    assert EvidenceLink(5).get_link(SimpleNamespace(), ti_key=None) == ""
    manifest_text = (tmp_path / FOLDER / "manifest.json").read_text()
    ours = "\n".join(r.getMessage() for r in caplog.records if "legallymail" in r.name)  # not urllib3's own
    assert "Archived" in ours
    for text in (manifest_text, json.dumps(result), json.dumps(links), ours):
        assert TOKEN not in text


def test_each_asset_outlet_gets_an_event_extra_with_ids_statuses_manifest_and_hashes(tmp_path: Path) -> None:
    from airflow.sdk import Asset

    class OutletEvents(dict[str, SimpleNamespace]):  # keyed like Airflow's accessors: Assets are unhashable in 3.1
        def __getitem__(self, asset: Any) -> SimpleNamespace:
            return self.setdefault(asset.uri, SimpleNamespace())

    asset = Asset("legallymail://evidence/contracts")
    events = OutletEvents()
    with rm.Mocker() as m:
        FakeApi(m).signature()
        op = ArchiveEvidenceOperator(
            task_id="archive", evidence=UUID, kind="signature", destination=tmp_path, outlets=[asset]
        )
        op.execute(context(outlet_events=events))
    extra = events[asset].extra
    archived = extra["archives"][0]
    assert (archived["kind"], archived["id"], archived["status"]) == ("signature", UUID, "signed")
    assert archived["manifest"] == str(tmp_path / "signature" / UUID / "manifest.json")
    assert archived["files"]["acta.pdf"] == sha((tmp_path / "signature" / UUID / "acta.pdf").read_bytes())
    assert json.loads(json.dumps(extra)) == extra  # storable as an asset event's extra


def test_a_later_run_adds_the_acta_once_signed_and_downloads_only_it(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        api = FakeApi(m)
        api.signature(status="pending")
        first = archive(tmp_path, {"kind": "signature", "id": UUID})
        api.signature(status="signed")
        second = archive(tmp_path, {"kind": "signature", "id": UUID})
    assert sorted(first["archives"][0]["files"]) == ["original.pdf"]
    assert sorted(second["archives"][0]["files"]) == ["acta.pdf", "original.pdf"]
    assert (second["downloaded"], second["already_present"]) == (1, 1)
    manifest = json.loads((tmp_path / "signature" / UUID / "manifest.json").read_text())
    assert manifest["status"] == "signed" and len(manifest["files"]) == 2


def test_a_certificate_the_api_stops_listing_stays_in_the_manifest(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        FakeApi(m).email(delivered_and_read=True)
        archive(tmp_path)
        FakeApi(m).email()  # the documented shape: the read recipient lists only its read certificate
        archive(tmp_path)
    manifest = json.loads((tmp_path / FOLDER / "manifest.json").read_text())
    kept = {f["name"]: f.get("listed_by_api", True) for f in manifest["files"]}
    assert kept["certificate-cm_rec1_xyz-delivered.pdf"] is False
    assert kept["certificate-cm_rec1_xyz-read.pdf"] is True
    assert verify_archive(tmp_path).ok
