"""The examples of the mail-merge page (CertifiedMailMergeOperator, SignatureRequestMergeOperator), run against
the sandbox: one email or request per row, rendered per row, checked first, each row sent once."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_snippet, run, states, xcom
from tests.integration.test_exactly_once_dags import live, live_server
from tests.snippets.test_operators_legallymail import logged

pytestmark = pytest.mark.usefixtures("airflow_db")
__all__ = ["live", "live_server"]
CUSTOMERS = [
    ("C001", "ana@example.com", "Ana", "1,250.00 EUR"),
    ("C002", "bob@example.com", "Bob & Sons <Ltd>", "80.00 EUR"),
    ("C003", "carla@example.com", "Carla", "0.00 EUR"),
]


def write_customers(folder: Path, rows: list[tuple[str, str, str, str]] = CUSTOMERS) -> Path:
    """customers.csv; the first customer's row has a PDF attachment of its own."""
    path = folder / "customers.csv"
    attachment = folder / "statement-C001.pdf"
    attachment.write_bytes(b"%PDF-1.4\n% statement of C001\n")
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "email", "name", "balance", "attachments"])
        for number, row in enumerate(rows):
            writer.writerow([*row, str(attachment) if number == 0 else ""])
    return path


def test_each_row_gets_its_own_rendered_email_and_the_results_csv(
    sandbox: SandboxServer, connect: None, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "statements-sent.csv"
    replace = {"/path/to/customers.csv": str(write_customers(tmp_path)), "/path/to/statements-sent.csv": str(results)}
    dag_run = run(load_snippet("mail_merge_csv", replace))
    assert states(dag_run) == {"send_statements": ("success", 1), "record": ("success", 1)}
    sent = {e["recipients"][0]: e for e in sandbox.certified_sent()}
    assert sorted(sent) == ["ana@example.com", "bob@example.com", "carla@example.com"]
    assert sent["bob@example.com"]["subject"] == "Your annual statement, Bob & Sons <Ltd>"
    assert sent["bob@example.com"]["message"] == (  # values are HTML-escaped in html, not in the subject
        "<p>Dear Bob &amp; Sons &lt;Ltd&gt;,</p><p>your balance on 31 December was 80.00 EUR.</p>"
    )
    assert "statement-C001.pdf" in str(sent["ana@example.com"]["attachments"])
    assert not sent["carla@example.com"]["attachments"]
    summary = xcom(dag_run, "send_statements")
    assert (summary["rows"], summary["sent"], summary["adopted"], summary["status"]) == (3, 3, 0, "sent")
    assert summary["credits"] == {"needed": 3, "remaining": 100}
    assert summary["sends"] == [] and sorted(summary["by_key"]) == ["C001", "C002", "C003"]
    assert set(summary["parent_tracking_ids"]) == {e.tracking_id for e in LegallyMailHook().list_emails()}
    with results.open(newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [(r["row"], r["key"], r["tracking_id"]) for r in lines] == [
        (str(n + 1), key, summary["by_key"][key]) for n, key in enumerate(["C001", "C002", "C003"])
    ]
    assert "email" not in lines[0]  # addresses are not written
    log = logged(capfd)
    assert f"customer C002: certified email {summary['by_key']['C002']}" in log
    assert "3 row(s) from file customers.csv: 3 to send, 0 duplicate(s), 0 invalid" in log
    first_post = next(i for i, r in enumerate(sandbox.received(api="legallymail")) if r["method"] == "POST")
    assert "/api/info" in [r["path"] for r in sandbox.received(api="legallymail")[:first_post]]  # credits first


def test_the_dry_run_returns_the_plan_and_the_send_follows(
    sandbox: SandboxServer, connect: None, tmp_path: Path
) -> None:
    dag_run = run(load_snippet("mail_merge_dry_run", {"/path/to/customers.csv": str(write_customers(tmp_path))}))
    assert states(dag_run) == {"check": ("success", 1), "send": ("success", 1)}
    assert xcom(dag_run, "check") == {
        "dry_run": True,
        "rows": 3,
        "to_send": 3,
        "already_sent": 0,
        "duplicates": 0,
        "invalid": 0,
        "problems": [],
        "credits": {"needed": 3, "remaining": 100},
    }
    assert len(sandbox.certified_sent()) == 3  # from "send" only


def test_a_row_missing_a_column_fails_the_check_naming_row_and_column_and_nothing_is_sent(
    sandbox: SandboxServer, connect: None, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "customers.csv"
    rows.write_text("customer_id,email,name\nC001,ana@example.com,Ana\nC002,bob@example.com,Bob\n")
    dag_run = run(load_snippet("mail_merge_dry_run", {"/path/to/customers.csv": str(rows)}))
    assert states(dag_run) == {"check": ("failed", 1), "send": ("upstream_failed", 0)}
    assert sandbox.received(api="legallymail", method="POST") == []
    log = logged(capfd)
    assert "row 1: html: needs column 'balance', which the row lacks" in log
    assert "Nothing was sent." in log


def test_too_few_credits_fail_before_the_first_send(
    sandbox: SandboxServer, connect: None, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sandbox.set_credits(emails=2)
    dag_run = run(load_snippet("mail_merge_dry_run", {"/path/to/customers.csv": str(write_customers(tmp_path))}))
    assert states(dag_run)["check"] == ("failed", 1)
    assert sandbox.received(api="legallymail", method="POST") == []
    log = logged(capfd)
    assert "Credits: 3 email(s) to send, 2 remaining" in log
    assert "still has 3 certified email(s) to send and the account has 2 remaining" in log


def test_every_row_source_sends_its_rows(
    sandbox: SandboxServer, connect: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jsonl = tmp_path / "renewals.jsonl"
    jsonl.write_text("\n".join(json.dumps({"email": f"j{n}@example.com", "name": f"J{n}"}) for n in range(2)))
    stored = tmp_path / "renewals.csv"
    stored.write_text("email,name\ns0@example.com,S0\ns1@example.com,S1\n")
    database = tmp_path / "customers.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE customers (customer_id TEXT, email TEXT, name TEXT, renewal_due INTEGER)")
        db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?, ?)",
            [("K2", "q2@example.com", "Q2", 1), ("K1", "q1@example.com", "Q1", 1), ("K3", "no@example.com", "N", 0)],
        )
    monkeypatch.setenv("AIRFLOW_CONN_CUSTOMERS_DB", json.dumps({"conn_type": "sqlite", "host": str(database)}))
    replace = {"/path/to/renewals.jsonl": str(jsonl), "file:///path/to/renewals.csv": f"file://{stored}"}
    dag_run = run(load_snippet("mail_merge_sources", replace))
    assert set(states(dag_run).values()) == {("success", 1)}
    sent = Counter(e["recipients"][0] for e in sandbox.certified_sent())
    expected = ["ana@example.com", "bob@example.com", "j0@example.com", "j1@example.com"]
    expected += ["s0@example.com", "s1@example.com", "q1@example.com", "q2@example.com"]
    assert sent == Counter(expected)
    by_subject = {e["recipients"][0]: e["subject"] for e in sandbox.certified_sent()}
    assert by_subject["q2@example.com"] == "Renewal notice for Q2"
    assert [xcom(dag_run, task)["sent"] for task in ("from_xcom", "from_jsonl", "from_storage", "from_sql")] == [2] * 4


def test_a_lost_answer_mid_campaign_is_adopted_and_every_customer_gets_one_email(
    live: SandboxServer, tmp_path: Path
) -> None:
    live.fault("legallymail", "POST", "/api/send", drop_response=True, count=1)  # the first row's answer is lost
    results = tmp_path / "statements-sent.csv"
    replace = {"/path/to/customers.csv": str(write_customers(tmp_path)), "/path/to/statements-sent.csv": str(results)}
    dag_run = run(load_snippet("mail_merge_csv", replace))
    assert states(dag_run)["send_statements"] == ("success", 1)
    assert Counter(e["recipients"][0] for e in live.certified_sent()) == Counter(c[1] for c in CUSTOMERS)
    summary = xcom(dag_run, "send_statements")
    assert (summary["sent"], summary["adopted"]) == (2, 1)
    with results.open(newline="") as handle:
        assert [r["adopted"] for r in csv.DictReader(handle)] == ["true", "false", "false"]


def test_a_signature_request_per_contract_with_the_uuids_written_back(
    sandbox: SandboxServer, connect: None, tmp_path: Path
) -> None:
    table = tmp_path / "contracts.csv"
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["contract_id", "document", "signer_name", "signer_email"])
        for n in range(3):
            pdf = tmp_path / f"contract-{n}.pdf"
            pdf.write_bytes(sandbox.sample_pdf())
            writer.writerow([f"K-{n}", str(pdf), f"Signer {n}", f"signer{n}@example.com"])
    written = tmp_path / "contracts-sent.csv"
    replace = {"/path/to/contracts.csv": str(table), "/path/to/contracts-sent.csv": str(written)}
    dag_run = run(load_snippet("mail_merge_signatures", replace))
    assert states(dag_run) == {"contracts": ("success", 1), "record": ("success", 1)}
    requests = {s.uuid: s for s in LegallyMailHook().list_signatures()}
    result = xcom(dag_run, "contracts")
    assert sorted(result["by_key"]) == ["K-0", "K-1", "K-2"] and set(result["uuids"]) == set(requests)
    assert requests[result["by_key"]["K-1"]].signer_email == "signer1@example.com"
    assert requests[result["by_key"]["K-1"]].document_name == "contract-1.pdf"
    with written.open(newline="") as handle:
        assert [r["uuid"] for r in csv.DictReader(handle)] == [result["by_key"][f"K-{n}"] for n in range(3)]
