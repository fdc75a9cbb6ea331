"""The examples that wait for outcomes and keep the evidence: what they waited for, archived and recorded.

``example_certified_email`` (read by all, certificates archived), ``example_certified_campaign`` (a mail
merge settled despite a bounce, the delivered archived and reported from the wait's outcome),
``example_contract_signing`` with ``example_contract_signed_update`` fed the producer's asset events as the
scheduler would feed them (``demo.assets``), and ``example_signed_contract_events`` fed the events its
``AssetWatcher`` fired while the contracts were signed (``demo.watchers``).
"""

from __future__ import annotations

import csv
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.evidence.manifest import verify_archive
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from demo.assets import run_with_asset_events
from demo.runs import read_run, summary_lines
from demo.watchers import Watchers, asset_watchers
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import run, states, xcom

EXAMPLES = Path(__file__).resolve().parents[2] / "example_dags"

SIGNED = "legallymail://signatures/signed"
CONTRACT_EMAILS = {"ana.garcia@example.com", "bob.smith@example.com", "carla.rossi@example.com"}


def contracts(db: Path) -> dict[str, dict[str, Any]]:
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        return {row["contract_id"]: dict(row) for row in conn.execute("SELECT * FROM contracts")}


def test_the_campaign_merges_rows_settles_despite_a_bounce_archives_the_delivered_and_reports(
    examples: dict[str, Any], places: dict[str, Path], sandbox: SandboxServer
) -> None:
    dag_run = run(examples["example_certified_campaign"])
    assert set(states(dag_run).values()) == {("success", 1)}
    with (EXAMPLES / "data" / "notice_recipients.csv").open() as handle:
        rows = {row["email"]: row for row in csv.DictReader(handle)}
    sent = sandbox.certified_sent()  # one personalized email per row
    assert sorted(r for e in sent for r in e["recipients"]) == sorted(rows)
    for email in sent:
        (address,) = email["recipients"]
        assert email["subject"] == f"New terms of service, {rows[address]['name']}"
        assert rows[address]["plan"] in email["message"]
    settled = xcom(dag_run, "notices_settled")
    assert (settled["outcome"], settled["target"], len(settled["reached"])) == ("reached", "settled", 5)
    report = xcom(dag_run, "report_campaign")
    bounced = "old.mailbox+bounce@example.com"
    assert sorted(report["delivered"]) == sorted(a for a in rows if a != bounced)
    assert list(report["not_delivered"]) == [bounced] and "Hard Bounce" in report["not_delivered"][bounced]
    archives = xcom(dag_run, "archive_notices")["archives"]
    folders = {Path(a["location"]) for a in archives if a["files"]}
    ds = dag_run.logical_date.strftime("%Y-%m-%d")
    assert len(folders) == 5 and all(f.parent == places["evidence_dir"] / "notices" / ds for f in folders)
    assert all(verify_archive(f).ok for f in folders)
    assert report["files_archived"] == sum(len(a["files"]) for a in archives) >= 5


def test_certified_email_waits_until_all_three_read_then_archives_their_certificates(
    examples: dict[str, Any], places: dict[str, Path]
) -> None:
    dag_run = run(examples["example_certified_email"])
    assert set(states(dag_run).values()) == {("success", 1)}
    read = xcom(dag_run, "wait_until_read")
    assert (read["outcome"], read["target"]) == ("reached", "read")
    sent = xcom(dag_run, "send_statement")
    assert {r["who"]: r["status"] for r in read["recipients"]} == dict.fromkeys(sent["tracking_ids"], "read")

    (archive,) = xcom(dag_run, "archive_certificates")["archives"]
    (parent,) = sent["parent_tracking_ids"]
    ds = dag_run.logical_date.strftime("%Y-%m-%d")
    folder = places["evidence_dir"] / "statements" / ds / parent
    assert Path(archive["location"]) == folder
    email = LegallyMailHook().get_email(parent)
    listed = {c.file_hash for r in email.recipients for c in r.certificates}
    assert len(listed) >= 3 and set(archive["files"].values()) == listed  # every certificate, hash checked
    assert all(
        any(name.endswith("-read.pdf") and tid in name for name in archive["files"])
        for tid in sent["tracking_ids"].values()
    )
    assert verify_archive(folder).ok


def test_contract_signing_requests_waits_archives_then_the_asset_dag_marks_each_contract_signed_once(
    examples: dict[str, Any], places: dict[str, Path], sandbox: SandboxServer, capfd: pytest.CaptureFixture[str]
) -> None:
    signing = run(examples["example_contract_signing"])
    log = "".join(capfd.readouterr())
    assert "XCom not found" not in log  # no link lookup while deferred, no read past the mapped results
    assert all(state == ("success", 1) for state in states(signing).values()), states(signing)
    requests = sandbox.received(api="legallymail", method="POST", path="/api/signature/send")
    assert len(requests) == 3
    table = contracts(places["contracts_db"])
    assert {row["email"] for row in table.values()} == CONTRACT_EMAILS
    assert {row["status"] for row in table.values()} == {"awaiting_signature"}
    for index in range(3):
        requested = xcom(signing, "request_signature", map_index=index)
        assert [r["uuid"] for r in requested["requests"]] == [requested["uuid"]]  # signed at once: no re-send
        waited = requested["wait"]
        assert waited["outcome"] == "reached" and {s["status"] for s in waited["signers"]} == {"signed"}
        (archive,) = xcom(signing, "archive_contract", map_index=index)["archives"]
        assert archive["status"] == "signed" and set(archive["files"]) == {"original.pdf", "acta.pdf"}
        assert Path(archive["location"]).parent == places["evidence_dir"] / "contracts"
    assert verify_archive(places["evidence_dir"] / "contracts").ok
    assert xcom(signing, "announce_signed") == 3  # one asset event listing the three archives
    uuids = {row["signature_uuid"] for row in table.values()}
    assert len(uuids) == 3 and all(LegallyMailHook().get_signature(u).status == "signed" for u in uuids)

    update = run_with_asset_events(examples["example_contract_signed_update"])
    assert str(update.state) == "success"
    assert sorted(xcom(update, "mark_signed")) == sorted(uuids)  # one event per contract, each read
    table = contracts(places["contracts_db"])
    assert {row["status"] for row in table.values()} == {"signed"}
    for row in table.values():
        assert row["manifest"].endswith(f"contracts/{row['signature_uuid']}/manifest.json")
        assert verify_archive(row["manifest"]).ok

    again = run(examples["example_contract_signing"])  # tomorrow: nothing left to sign, nothing sent
    assert str(again.state) == "success"
    assert len(sandbox.received(api="legallymail", method="POST", path="/api/signature/send")) == 3
    assert xcom(run_with_asset_events(examples["example_contract_signed_update"]), "mark_signed") == []


def test_signed_contract_events_archive_each_contract_the_watcher_announced_once(
    examples: dict[str, Any], places: dict[str, Path], tmp_path: Path
) -> None:
    events_dag = examples["example_signed_contract_events"]
    watched = asset_watchers([events_dag])
    assert [(name, type(t).__name__, t.statuses) for name, t in watched] == [
        (SIGNED, "SignatureEventTrigger", ["signed"])
    ]
    # As a triggerer runs it, started before the contracts are sent (a new watcher announces what follows).
    with Watchers(watched, state_path=str(tmp_path / "seen"), event_spacing=0) as watchers:
        watchers.wait_ready()
        signing = run(examples["example_contract_signing"])
        watchers.settle(quiet=3.0)
    assert str(signing.state) == "success"
    uuids = sorted(row["signature_uuid"] for row in contracts(places["contracts_db"]).values())
    fired = watchers.events[SIGNED]
    assert sorted(p["id"] for p in fired) == uuids  # one event per signed contract, none repeated
    assert {(p["kind"], p["status"]) for p in fired} == {("signature", "signed")}

    # Airflow may put several events in one run, or start one run per event: both archive each contract once.
    first = run_with_asset_events(events_dag, {SIGNED: fired[:2]})
    second = run_with_asset_events(events_dag, {SIGNED: fired[2:]})
    recorded = []
    for dag_run, count in ((first, 2), (second, 1)):
        assert set(states(dag_run).values()) == {("success", 1)}, states(dag_run)
        assert len(xcom(dag_run, "signed_contracts")) == count
        for index in range(count):
            (archive,) = xcom(dag_run, "archive_contract", map_index=index)["archives"]
            assert archive["status"] == "signed" and set(archive["files"]) == {"original.pdf", "acta.pdf"}
            assert Path(archive["location"]) == places["evidence_dir"] / "contracts" / archive["id"]
            assert (archive["downloaded"], archive["already_present"]) == (0, 2)  # the signing DAG archived it
        recorded += xcom(dag_run, "record_signed")
    assert sorted(r["uuid"] for r in recorded) == uuids
    names = {row["signature_uuid"]: f"{key}.pdf" for key, row in contracts(places["contracts_db"]).items()}
    for line in recorded:
        assert line["document_name"] == names[line["uuid"]] and line["signed_at"]
        assert verify_archive(line["manifest"]).ok
    run_result = read_run(events_dag.dag_id, first.run_id)
    assert run_result is not None
    summary = "\n".join(summary_lines(run_result))  # what make demo prints for the run
    for line in xcom(first, "record_signed"):
        assert f"uuid {line['uuid']}, document_name {line['document_name']}, signed_at {line['signed_at']}" in summary
