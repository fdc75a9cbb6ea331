"""The Legitmailer operators against the sandbox over real HTTP: batches, retries, contact sync, delayed sends."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from airflow_provider_legallymail.legitmailer import single_send
from airflow_provider_legallymail.operators.legitmailer import (
    CancelDelayedEmailOperator,
    ContactSyncOperator,
    LegitmailerSendEmailOperator,
    TemplateBatchOperator,
)
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("connect")

BATCH_PATH = "/api/batch/email/template"


def execute(op: Any, try_number: int = 1) -> Any:
    ti = SimpleNamespace(dag_id="it", run_id="run1", task_id=op.task_id, map_index=-1, try_number=try_number)
    return op.execute({"ti": ti})


def sent_to(sandbox: SandboxServer) -> Counter[str]:
    return Counter(e["to_address"] for e in sandbox.legitmailer_sent())


def test_template_batch_from_csv_renders_every_recipient(sandbox: SandboxServer, tmp_path: Path) -> None:
    path = tmp_path / "reminders.csv"
    lines = ["email,name,contract,due_date"] + [f"r{i}@example.com,R{i},K-{i},2025-03-0{i % 9 + 1}" for i in range(45)]
    path.write_text("\n".join(lines) + "\n")
    result = execute(
        TemplateBatchOperator(task_id="send", template="contract-reminder", recipients=str(path), batch_size=20)
    )
    assert (result["sent"], result["failed"], len(result["batches"])) == (45, 0, 3)
    sent = {e["to_address"]: e for e in sandbox.legitmailer_sent()}
    assert len(sent) == 45
    assert sent["r7@example.com"]["subject"] == "Reminder: contract K-7"
    assert "due on 2025-03-08" in sent["r7@example.com"]["body"]
    assert len(sandbox.received(api="legitmailer", method="POST", path=BATCH_PATH)) == 3


def test_a_missing_token_sends_nothing(sandbox: SandboxServer) -> None:
    rows = [{"email": f"m{i}@example.com", "name": "M", "contract": "K"} for i in range(5)]
    with pytest.raises(AirflowFailException, match=r"5 problem\(s\)[^$]*row 5: missing token\(s\): due_date"):
        execute(TemplateBatchOperator(task_id="send", template="contract-reminder", recipients=rows))
    assert sandbox.legitmailer_sent() == []
    assert sandbox.received(api="legitmailer", method="POST") == []


def test_a_dry_run_checks_every_row_against_the_template_and_sends_nothing(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    row = {"name": "D", "contract": "K", "due_date": "2025-04-01"}
    rows = [{"email": f"d{i}@example.com", **row} for i in range(5)]
    rows.append(dict(rows[0]))  # a duplicate address is counted, not sent twice
    ledger = tmp_path / "ledger"
    plan = execute(
        TemplateBatchOperator(
            task_id="check",
            template="contract-reminder",
            recipients=rows,
            batch_size=2,
            dry_run=True,
            ledger_path=f"file://{ledger}",
        )
    )
    assert plan == {
        "dry_run": True,
        "to_send": 5,
        "batches": 3,
        "skipped": 1,
        "duplicates": 1,
        "invalid": 0,
        "problems": [],
    }
    assert sandbox.received(api="legitmailer", method="POST") == [] and not ledger.exists()
    rows[2].pop("due_date")
    with pytest.raises(AirflowFailException, match=r"row 3: missing token\(s\): due_date"):
        execute(TemplateBatchOperator(task_id="check", template="contract-reminder", recipients=rows, dry_run=True))
    assert sandbox.legitmailer_sent() == []


def test_template_batch_from_sql_through_a_sqlite_connection(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "users.sqlite"
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE users (email TEXT, username TEXT)")
        db.executemany("INSERT INTO users VALUES (?, ?)", [(f"q{i}@example.com", f"user{i}") for i in range(130)])
        db.execute("INSERT INTO users VALUES ('Q1@EXAMPLE.COM', 'dup')")
    monkeypatch.setenv("AIRFLOW_CONN_USERS_DB", json.dumps({"conn_type": "sqlite", "host": str(db_path)}))
    result = execute(
        TemplateBatchOperator(
            task_id="send", template="registration", conn_id="users_db", sql="SELECT * FROM users", batch_size=50
        )
    )
    assert (result["sent"], result["duplicates"]) == (130, 1)
    sent = sent_to(sandbox)
    assert len(sent) == 130 and set(sent.values()) == {1}
    assert any("hi user42," in e["body"] for e in sandbox.legitmailer_sent())


def test_validate_true_lets_the_api_refuse_a_batch(sandbox: SandboxServer) -> None:
    rows = [{"email": f"v{i}@example.com", "name": "V"} for i in range(10)]
    rows[7]["email"] = "v7+invalid@example.com"  # the sandbox's undeliverable address
    result = execute(
        TemplateBatchOperator(
            task_id="send", template="welcome", recipients=rows, batch_size=5, validate=True, skip_invalid=True
        )
    )
    assert (result["sent"], result["failed"]) == (5, 5)
    assert [b["status"] for b in result["batches"]] == ["sent", "refused"]
    assert len(sent_to(sandbox)) == 5


def batch_dag(dag_id: str, on_retry: str) -> Any:
    return load_dag(
        dag_id,
        f"""
        from airflow_provider_legallymail.operators.legitmailer import TemplateBatchOperator

        with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
                 default_args={{"retries": 1, "retry_delay": pendulum.duration(seconds=0)}}) as dag:
            TemplateBatchOperator(
                task_id="send", template="welcome", batch_size=10, max_active_requests=1, on_retry="{on_retry}",
                recipients=[{{"email": f"d{{i}}@example.com", "name": f"D{{i}}"}} for i in range(30)],
            )
        """,
    )


@pytest.mark.usefixtures("airflow_db")
def test_retry_after_a_dropped_answer_resumes_without_resending_batch_one(sandbox: SandboxServer) -> None:
    sandbox.fault("legitmailer", "POST", BATCH_PATH, drop_response=True, ratio=0.5, count=1)  # the 2nd batch
    dag_run = run(batch_dag("it_lt_batch_resend", "resend"))
    assert states(dag_run)["send"] == ("success", 2)
    sent = sent_to(sandbox)
    assert len(sent) == 30
    assert {sent[f"d{i}@example.com"] for i in range(10)} == {1}  # batch 1: adopted, not sent again
    assert {sent[f"d{i}@example.com"] for i in range(10, 20)} == {2}  # batch 2: resent, as asked
    assert [b["status"] for b in xcom(dag_run, "send")["batches"]] == ["adopted", "sent", "sent"]


@pytest.mark.usefixtures("airflow_db")
def test_retry_after_a_dropped_answer_fails_by_default_and_sends_no_address_twice(sandbox: SandboxServer) -> None:
    sandbox.fault("legitmailer", "POST", BATCH_PATH, drop_response=True, ratio=0.5, count=1)
    dag_run = run(batch_dag("it_lt_batch_adopt", "adopt"))
    assert states(dag_run)["send"] == ("failed", 2)
    sent = sent_to(sandbox)
    assert len(sent) == 30 and set(sent.values()) == {1}


def contacts(n: int, changed: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": f"C{i:04d}",
            "email": f"k{i}@example.com",
            "name": f"K{i}",
            "plan": "pro" if i in changed else "basic",
        }
        for i in range(n)
    ]


def test_contact_sync_upsert_then_mirror_writes_only_changes(sandbox: SandboxServer, tmp_path: Path) -> None:
    snapshots = f"file://{tmp_path}/snapshots"
    hook = LegitmailerHook()

    def sync(rows: list[dict[str, Any]], **kwargs: Any) -> Any:
        op = ContactSyncOperator(
            task_id="sync", contact_list="customers", source=rows, snapshot_path=snapshots, **kwargs
        )
        return execute(op)

    first = sync(contacts(200))
    assert (first["created"], first["snapshot"]) == (200, "rebuilt")
    gets = [r for r in sandbox.received(api="legitmailer", method="GET") if "/contact/" in r["path"]]
    assert len(gets) == 200

    before = len(sandbox.received(api="legitmailer"))
    second = sync(contacts(198, changed=(3, 50)), mode="mirror")
    assert (second["updated"], second["deleted"], second["unchanged"], second["snapshot"]) == (2, 2, 196, "used")
    requests_made = sandbox.received(api="legitmailer")[before:]
    assert Counter(r["method"] for r in requests_made) == Counter({"GET": 1, "PUT": 2, "DELETE": 2})  # GET: the lists
    assert hook.get_contact("Y3VzdG9tZXJz", "C0050").data == [{"name": "K50"}, {"plan": "pro"}]
    lists = {c.name: c.size for c in hook.list_contact_lists()}
    assert lists["customers"] == 198


def test_contact_sync_dry_run_and_snapshot_loss(sandbox: SandboxServer, tmp_path: Path) -> None:
    base = tmp_path / "snaps"

    def sync(rows: list[dict[str, Any]], **kwargs: Any) -> Any:
        op = ContactSyncOperator(
            task_id="s", contact_list="Y3VzdG9tZXJz", source=rows, snapshot_path=str(base), **kwargs
        )
        return execute(op)

    plan = sync(contacts(20), dry_run=True)
    assert (plan["created"], plan["dry_run"]) == (20, True)
    assert sandbox.received(api="legitmailer", method="POST") == [] and not base.exists()

    sync(contacts(20))
    next(base.iterdir()).unlink()  # the snapshot is lost
    rebuilt = sync(contacts(20, changed=(4,)))
    assert (rebuilt["updated"], rebuilt["unchanged"], rebuilt["snapshot"]) == (1, 19, "rebuilt")
    assert sync(contacts(20, changed=(4,)))["snapshot"] == "used"


def test_contact_sync_rejects_unknown_columns_per_row(sandbox: SandboxServer, tmp_path: Path) -> None:
    rows = contacts(3)
    rows[1]["colour"] = "red"  # not a column of the list: the API answers 400
    op = ContactSyncOperator(
        task_id="s", contact_list="customers", source=rows, snapshot_path=str(tmp_path), skip_invalid=True
    )
    result = execute(op)
    assert (result["created"], result["failed"]) == (2, 1)


def test_delayed_send_then_cancel(sandbox: SandboxServer) -> None:
    request_id = execute(
        LegitmailerSendEmailOperator(
            task_id="send", template="welcome", email="later@example.com", token_map={"name": "L"}, delay=300
        )
    )
    assert sandbox.legitmailer_sent() == []
    execute(CancelDelayedEmailOperator(task_id="cancel", request_id=request_id))
    sandbox.advance(600)
    assert sandbox.legitmailer_sent() == []
    with pytest.raises(AirflowFailException, match="already cancelled"):
        execute(CancelDelayedEmailOperator(task_id="again", request_id=request_id))


def test_a_delayed_send_goes_out_when_due(sandbox: SandboxServer) -> None:
    execute(
        LegitmailerSendEmailOperator(
            task_id="send",
            from_address="info@example.com",
            to_address="due@example.com",
            subject="Later",
            body="<p>x</p>",
            delay=120,
        )
    )
    sandbox.advance(121)
    assert [e["to_address"] for e in sandbox.legitmailer_sent()] == ["due@example.com"]


def test_on_kill_cancels_the_queued_email(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    op = LegitmailerSendEmailOperator(
        task_id="send",
        from_address="info@example.com",
        to_address="killed@example.com",
        subject="S",
        body="B",
        delay=300,
        wait_until_sent=True,
    )

    class Killed(BaseException):
        pass

    def pause(seconds: float) -> None:
        op.on_kill()
        raise Killed

    monkeypatch.setattr(single_send, "pause", pause)
    with pytest.raises(Killed):
        execute(op)
    sandbox.advance(600)
    assert sandbox.legitmailer_sent() == []
    assert len(sandbox.received(api="legitmailer", method="DELETE")) == 1
