"""The Legitmailer operator pages: their DAG files run against the sandbox and return what the pages say."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest

from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.exceptions import OutcomeUnknownError
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from airflow_provider_legallymail.operators.legitmailer import LegitmailerSendEmailOperator
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_snippet, run, snippet_text, states, xcom

pytestmark = [pytest.mark.usefixtures("airflow_db", "connect")]

BATCH_PATH = "/api/batch/email/template"


def test_a_batch_from_a_task_sends_each_address_once_with_only_the_template_tokens(sandbox: SandboxServer) -> None:
    dag_run = run(load_snippet("template_batch_from_task"))
    assert states(dag_run) == {"contracts_due": ("success", 1), "send_reminders": ("success", 1)}
    # the page shows this XCom; ANA@example.com is ana@example.com, so the first row wins and it is a duplicate
    assert xcom(dag_run, "send_reminders") == json.loads(snippet_text("template_batch_from_task_result.json"))
    (posted,) = sandbox.received(api="legitmailer", method="POST", path=BATCH_PATH)
    assert [sorted(r["tokenMap"]) for r in posted["json"]["emailList"]] == [["contract", "due_date", "name"]] * 2
    sent = {e["to_address"]: e for e in sandbox.legitmailer_sent()}
    assert set(sent) == {"ana@example.com", "bob@example.com"}
    assert sent["bob@example.com"]["subject"] == "Reminder: contract K-2"


def test_a_batch_from_sql_skips_the_bad_row_and_sends_the_rest(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "crm.sqlite"
    rows = [
        ("ana@example.com", "Ana", "K-1", "2026-01-05"),
        ("not-an-address", "Zoe", "K-2", "2026-01-06"),
        ("bob@example.com", "Bob", "K-3", "2026-01-07"),
        ("later@example.com", "Lea", "K-4", "2999-01-01"),  # not due yet: the query leaves it out
    ]
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE contracts (email TEXT, name TEXT, contract TEXT, due_date TEXT)")
        db.executemany("INSERT INTO contracts VALUES (?, ?, ?, ?)", rows)
    monkeypatch.setenv("AIRFLOW_CONN_CRM_DB", json.dumps({"conn_type": "sqlite", "host": str(db_path)}))
    dag_run = run(load_snippet("template_batch_sql"))
    assert states(dag_run) == {"send_reminders": ("success", 1)}
    result = xcom(dag_run, "send_reminders")
    assert (result["sent"], result["invalid"], result["skipped"]) == (2, 1, 1)
    (problem,) = result["problems"]
    assert problem.startswith("row 3:") and "not-an-address" not in problem  # rows are named by number
    assert sorted(e["to_address"] for e in sandbox.legitmailer_sent()) == ["ana@example.com", "bob@example.com"]


def test_a_contact_sync_from_a_task_writes_everything_once_then_nothing(sandbox: SandboxServer, tmp_path: Path) -> None:
    snapshots = f"file://{tmp_path}/snapshots"
    dag = load_snippet("contact_sync_from_task", {"s3://my-bucket/legitmailer/contact-snapshots": snapshots})
    first = xcom(run(dag), "sync_customers")
    assert first == json.loads(snippet_text("contact_sync_from_task_result.json"))  # the first run, as the page shows
    hook = LegitmailerHook()
    customers = next(c for c in hook.list_contact_lists() if c.name == "customers")
    assert customers.size == 3
    assert hook.get_contact(customers.contact_list_id, "C-1003").data == [{"name": "Carla Rossi"}, {"plan": "pro"}]
    before = len(sandbox.received(api="legitmailer"))
    second = xcom(run(dag), "sync_customers")
    assert (second["unchanged"], second["created"], second["snapshot"]) == (3, 0, "used")
    later = sandbox.received(api="legitmailer")[before:]
    assert [r["path"] for r in later] == ["/api/contactlist"]  # the list's name resolved; no contact request


def test_single_emails_send_now_queue_cancel_and_queue_until_a_time(sandbox: SandboxServer) -> None:
    started = pendulum.now("UTC")
    dag_run = run(load_snippet("legitmailer_send_email"))
    assert set(states(dag_run).values()) == {("success", 1)}
    (now,) = sandbox.legitmailer_sent()
    assert (now["to_address"], now["subject"]) == ("ana@example.com", f"Your receipt for {started.to_date_string()}")
    assert xcom(dag_run, "send_receipt") == now["tracking_id"]

    posts = sandbox.received(api="legitmailer", method="POST")
    delayed = {r["path"]: r["json"] for r in posts if "delayed" in r["path"]}
    assert delayed["/api/email/template/delayed"]["delay"] == 3600
    assert 7200 - 120 <= delayed["/api/email/delayed"]["delay"] <= 7200
    request_id = xcom(dag_run, "queue_reminder")
    (cancelled,) = sandbox.received(api="legitmailer", method="DELETE")
    assert cancelled["path"] == f"/api/email/delayed/{request_id}"

    sandbox.advance(3 * 3600)
    later = [e["subject"] for e in sandbox.legitmailer_sent()[1:]]
    assert later == ["How was your first week?"]  # the cancelled reminder never went out


def execute(op: LegitmailerSendEmailOperator, try_number: int) -> str:
    ti = SimpleNamespace(dag_id="page", run_id="run1", task_id=op.task_id, map_index=-1, try_number=try_number)
    context: Any = {"ti": ti}  # what the operator reads of a task's context
    return op.execute(context)


def plain_email(on_retry: str) -> LegitmailerSendEmailOperator:
    return LegitmailerSendEmailOperator(
        task_id="send",
        from_address="billing@example.com",
        to_address="ana@example.com",
        subject="S",
        body="B",
        on_retry=on_retry,
    )


@pytest.mark.parametrize(("on_retry", "emails"), [("adopt", 1), ("resend", 2)])
def test_a_later_try_adopts_the_sent_email_or_sends_it_again_as_the_page_says(
    sandbox: SandboxServer, on_retry: str, emails: int
) -> None:
    first = execute(plain_email(on_retry), 1)
    second = execute(plain_email(on_retry), 2)
    assert len(sandbox.legitmailer_sent()) == emails
    assert (second == first) is (on_retry == "adopt")


def test_after_a_lost_answer_the_retry_fails_asking_to_check_the_dashboard(sandbox: SandboxServer) -> None:
    sandbox.fault("legitmailer", "POST", "/api/email", drop_response=True, count=1)
    with pytest.raises(OutcomeUnknownError):
        execute(plain_email("adopt"), 1)
    with pytest.raises(AirflowFailException, match=r"dashboard.*on_retry='resend'"):
        execute(plain_email("adopt"), 2)
    assert len(sandbox.legitmailer_sent()) == 1  # the lost send went out; the retry sent nothing more
