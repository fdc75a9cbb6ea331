"""Every example DAG imports cleanly and runs to success against the sandbox, doing what its docstring says.

The DAGs run through Airflow itself (``dag.test()``), from a copy of ``example_dags/`` in the dags folder,
with the default connections pointing at the sandbox: what ``make demo`` does with ``airflow dags test``.
"""

from __future__ import annotations

import base64
import csv
import json
from pathlib import Path
from typing import Any

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from demo.examples import EXAMPLES_FOLDER
from demo.runs import read_run, summary_lines
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import run, states, xcom

BATCH_PATH = "/api/batch/email/template"


def all_succeeded(dag_run: Any) -> bool:
    return str(dag_run.state) == "success" and all(state == "success" for state, _ in states(dag_run).values())


def test_every_example_dag_imports_with_a_docstring_shown_in_the_ui(example_dags: dict[str, Any]) -> None:
    files = sorted(path.stem for path in EXAMPLES_FOLDER.glob("example_*.py"))
    assert files and set(files) <= set(example_dags), "each example file defines the DAG named after it"
    for dag_id, dag in example_dags.items():
        assert dag.doc_md and "What it shows" in dag.doc_md, f"{dag_id}: doc_md says what the example shows"


def test_every_example_dag_runs_to_success(examples: dict[str, Any]) -> None:
    outcomes = {dag_id: states(run(dag)) for dag_id, dag in sorted(examples.items())}
    # A manual run of the AssetWatcher's DAG has no event: its mapped archive has nothing to map over.
    assert outcomes["example_signed_contract_events"].pop("archive_contract") == ("skipped", 0)
    failed = {dag_id: got for dag_id, got in outcomes.items() if any(s != "success" for s, _ in got.values())}
    assert not failed, f"example DAGs with tasks that did not succeed: {failed}"


def test_template_batch_checks_first_then_sends_each_customer_one_reminder(
    examples: dict[str, Any], sandbox: SandboxServer
) -> None:
    dag_run = run(examples["example_template_batch"])
    assert all_succeeded(dag_run)
    check = xcom(dag_run, "check_reminders")
    assert (check["dry_run"], check["to_send"], check["duplicates"], check["invalid"]) == (True, 6, 1, 0)
    assert (xcom(dag_run, "send_reminders")["sent"], xcom(dag_run, "send_reminders")["failed"]) == (6, 0)
    assert len(sandbox.received(api="legitmailer", method="POST", path=BATCH_PATH)) == 1  # the check sent none
    sent = {email["to_address"].lower(): email for email in sandbox.legitmailer_sent()}
    assert len(sandbox.legitmailer_sent()) == len(sent) == 6  # Emma's repeated row went out once
    assert sent["dmitri.ivanov@example.com"]["subject"] == "Reminder: contract K-2025-004"
    assert "due on 2025-07-08" in sent["dmitri.ivanov@example.com"]["body"]


def test_template_batch_with_a_bad_row_fails_the_check_and_sends_nothing(
    examples: dict[str, Any], examples_copy: Path, sandbox: SandboxServer
) -> None:
    source = examples_copy / "data" / "contract_reminders.csv"
    original = source.read_text()
    try:
        source.write_text(original + "not-an-address,Zoe,K-9,2025-08-01\n")
        dag_run = run(examples["example_template_batch"])
    finally:
        source.write_text(original)
    # at the first try, whatever the DAG's retries: the same rows would be refused again
    assert states(dag_run) == {"check_reminders": ("failed", 1), "send_reminders": ("upstream_failed", 0)}
    assert sandbox.legitmailer_sent() == []


def test_contact_sync_plans_then_mirrors_and_the_next_night_writes_only_changes(
    examples: dict[str, Any], examples_copy: Path, sandbox: SandboxServer
) -> None:
    dag = examples["example_contact_sync"]
    first = run(dag)
    assert all_succeeded(first)
    assert (xcom(first, "plan_sync")["dry_run"], xcom(first, "plan_sync")["created"]) == (True, 5)
    assert xcom(first, "sync_customers")["created"] == 5
    hook = LegitmailerHook()
    assert {c.name: c.size for c in hook.list_contact_lists()}["customers"] == 5

    source = examples_copy / "data" / "customers.csv"
    original = source.read_text()
    rows = list(csv.DictReader(original.splitlines()))
    rows = [row for row in rows if row["customer_id"] != "C-1002"]  # Bob left
    rows[0]["plan"] = "enterprise"  # Ana upgraded
    try:
        with source.open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=["customer_id", "email", "name", "plan"])
            writer.writeheader()
            writer.writerows(rows)
        writes_before = len([r for r in sandbox.received(api="legitmailer") if r["method"] != "GET"])
        second = run(dag)
    finally:
        source.write_text(original)
    assert all_succeeded(second)
    planned = xcom(second, "plan_sync")
    assert (planned["updated"], planned["deleted"], planned["unchanged"]) == (1, 1, 3)
    assert planned["plan"]["deleted"] == ["C-1002"]
    synced = xcom(second, "sync_customers")
    assert (synced["created"], synced["updated"], synced["deleted"], synced["unchanged"]) == (0, 1, 1, 3)
    writes = [r for r in sandbox.received(api="legitmailer") if r["method"] != "GET"][writes_before:]
    assert sorted(r["method"] for r in writes) == ["DELETE", "PUT"]
    assert {c.name: c.size for c in hook.list_contact_lists()}["customers"] == 4


def test_certified_email_sends_the_templated_body_and_the_generated_pdf_to_three_recipients(
    examples: dict[str, Any], sandbox: SandboxServer
) -> None:
    dag_run = run(examples["example_certified_email"])
    assert all_succeeded(dag_run)
    (posted,) = sandbox.received(api="legallymail", method="POST", path="/api/send")
    body = posted["json"]
    pdf_path = Path(xcom(dag_run, "render_statement"))
    assert body["subject"].startswith("Statement of account for 20")
    assert "Dear Ana García" in body["message"] and pdf_path.name in body["message"]  # from templates/*.html
    (attachment,) = body["attachments"]
    assert attachment["filename"] == pdf_path.name
    assert base64.b64decode(attachment["content"]) == pdf_path.read_bytes()
    assert pdf_path.read_bytes().startswith(b"%PDF-1.4") and b"Balance due: 1,250.00 EUR" in pdf_path.read_bytes()
    sent = xcom(dag_run, "send_statement")
    assert set(sent["tracking_ids"]) == {"ana.garcia@example.com", "accounts@example.com", "legal@example.com"}
    assert len(set(sent["tracking_ids"].values())) == 3


def test_sms_alert_texts_treasury_the_totals_and_waits_until_delivered(
    examples: dict[str, Any], sandbox: SandboxServer
) -> None:
    dag_run = run(examples["example_sms_alert"])
    assert all_succeeded(dag_run)
    (posted,) = sandbox.received(api="legallymail", method="POST", path="/api/sms/send")
    assert posted["json"]["phone"] == "+34600000002"
    assert posted["json"]["message"].endswith("loaded: 4 payments, 16760.40 EUR.")
    returned = xcom(dag_run, "notify_treasury")
    assert (returned["wait"]["outcome"], returned["wait"]["target"]) == ("reached", "delivered")
    assert LegallyMailHook().get_sms(returned["uuid"]).status == "delivered"


def test_sms_alert_pages_on_call_once_when_the_load_fails(examples: dict[str, Any], sandbox: SandboxServer) -> None:
    dag_run = run(examples["example_sms_alert"], source="/no/such/payments.csv")
    assert states(dag_run) == {"load_payments": ("failed", 1), "notify_treasury": ("upstream_failed", 0)}
    (posted,) = sandbox.received(api="legallymail", method="POST", path="/api/sms/send")
    assert posted["json"]["phone"] == "+34600000001"
    assert posted["json"]["message"].startswith("example_sms_alert: load_payments failed for 20")


def test_the_demo_summary_shows_states_and_the_ids_returned(examples: dict[str, Any]) -> None:
    dag_run = run(examples["example_certified_email"])
    result = read_run("example_certified_email", dag_run.run_id)
    assert result is not None and result.succeeded
    text = "\n".join(summary_lines(result, 1.5))
    assert text.startswith(f"example_certified_email: success in 1.5 s (run {dag_run.run_id})")
    lines = text.splitlines()
    assert any(line.split() == ["send_statement", "success", "(try", "1)"] for line in lines)
    for tracking_id in xcom(dag_run, "send_statement")["tracking_ids"].values():
        assert tracking_id in text
    read = ", ".join(f"{who} read" for who in xcom(dag_run, "send_statement")["tracking_ids"])
    assert f"read reached: {read}" in text  # what the sensor returned
    (archive,) = xcom(dag_run, "archive_certificates")["archives"]
    assert f"in {archive['location']}, verified" in text
    manifest = json.loads(Path(archive["manifest"]).read_text())
    assert manifest["source"]["from"] == "wait"  # archived from the sensor's result, no status read again


def test_the_demo_summary_says_when_an_archive_no_longer_verifies(examples: dict[str, Any]) -> None:
    dag_run = run(examples["example_certified_email"])
    (archive,) = xcom(dag_run, "archive_certificates")["archives"]
    certificate = Path(archive["location"]) / sorted(archive["files"])[0]
    certificate.write_bytes(certificate.read_bytes() + b"%")
    result = read_run("example_certified_email", dag_run.run_id)
    assert result is not None
    text = "\n".join(summary_lines(result))
    assert f"in {archive['location']}, NOT verified: FAILED: 1 archive(s)" in text
