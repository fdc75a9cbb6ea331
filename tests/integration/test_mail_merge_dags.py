"""Certified mail merge and signature requests from rows, through real DAG runs against the sandbox."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.contracts import item_refs
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states, xcom
from tests.integration import test_exactly_once_dags as exactly_once

pytestmark = pytest.mark.usefixtures("airflow_db")
RETRIES = 'default_args={"retries": 1, "retry_delay": pendulum.duration(seconds=0)}'
ROWS = 30
live_server = exactly_once.live_server  # a sandbox on a real-time clock, reset per test: look-ups compare times
live = exactly_once.live
IMPORT = "from airflow_provider_legallymail.operators.mail_merge import CertifiedMailMergeOperator\n"


@pytest.fixture
def customers(tmp_path: Path) -> Path:
    """30 customers in a CSV; every third one with an attachment of its own."""
    path = tmp_path / "customers.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "email", "name", "attachments"])
        for i in range(ROWS):
            attachment = ""
            if i % 3 == 0:
                attachment = str(tmp_path / f"statement-{i}.txt")
                Path(attachment).write_text(f"statement of C{i:03d}")
            writer.writerow([f"C{i:03d}", f"cust{i}@example.com", f"Customer {i}", attachment])
    return path


def merge_dag(dag_id: str, rows: Path, extra: str = "", operator: str = "CertifiedMailMergeOperator") -> Any:
    return load_dag(
        dag_id,
        IMPORT
        + f"""
with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1), {RETRIES}) as dag:
    {operator}(task_id="merge", rows="{rows}", key_column="customer_id",
               subject="Annual notice {{{{ customer_id }}}}",
               html="<p>Dear {{{{ name }}}}</p>"{extra})
""",
    )


def sent_emails(server: SandboxServer) -> list[dict[str, Any]]:
    """Certified emails the sandbox sent (recipients, subject, message, attachments), oldest first."""
    return server.certified_sent()


def recipients(emails: list[dict[str, Any]]) -> Counter[str]:
    return Counter(r for e in emails for r in e["recipients"])


EVERYONE = Counter(f"cust{i}@example.com" for i in range(ROWS))


def test_thirty_rows_from_a_csv_go_out_once_each_with_their_own_subject_body_and_attachment(
    live: SandboxServer,
    customers: Path,
) -> None:
    dag_run = run(merge_dag("mm_csv_30", customers))
    assert states(dag_run)["merge"] == ("success", 1)
    emails = sent_emails(live)
    assert recipients(emails) == EVERYONE
    by_recipient = {e["recipients"][0]: e for e in emails}
    seven = by_recipient["cust7@example.com"]
    assert (seven["subject"], seven["message"], seven["attachments"]) == (
        "Annual notice C007",
        "<p>Dear Customer 7</p>",
        [],
    )
    assert [a["filename"] for a in by_recipient["cust3@example.com"]["attachments"]] == ["statement-3.txt"]
    summary = xcom(dag_run, "merge")
    assert (summary["sent"], summary["adopted"], summary["status"]) == (ROWS, 0, "sent")
    assert len(summary["parent_tracking_ids"]) == ROWS
    assert summary["by_key"]["C007"] == summary["tracking_ids"]["cust7@example.com"]
    assert summary["credits"] == {"needed": ROWS, "remaining": 100}
    refs = item_refs(summary, None, "tracking_id")  # what the sensors and the archive read from it
    assert [(r.kind, r.id) for r in refs] == [("email", i) for i in summary["parent_tracking_ids"]]


WORKER_LOSS = """
POSTS = []

class LosesItsWorker(CertifiedMailMergeOperator):
    \"\"\"Try 1 loses its worker right after the 13th POST went out, before its answer is recorded.\"\"\"

    def execute(self, context):
        self.try_number = context["ti"].try_number
        return super().execute(context)

    def post(self, payload):
        result = super().post(payload)
        POSTS.append(self.try_number)
        if self.try_number == 1 and len(POSTS) == 13:
            raise RuntimeError("worker lost")
        return result
"""


def test_a_retry_after_the_worker_was_lost_mid_campaign_sends_no_row_twice(
    live: SandboxServer,
    customers: Path,
) -> None:
    dag_run = run(
        load_dag(
            "mm_worker_loss",
            IMPORT
            + WORKER_LOSS
            + f"""
with DAG("mm_worker_loss", schedule=None, start_date=pendulum.datetime(2024, 1, 1), {RETRIES}) as dag:
    LosesItsWorker(task_id="merge", rows="{customers}", key_column="customer_id",
                   subject="Annual notice {{{{ customer_id }}}}", html="<p>Notice</p>")
""",
        )
    )
    assert states(dag_run)["merge"] == ("success", 2)
    assert recipients(sent_emails(live)) == EVERYONE  # each customer once, the lost 13th row included
    summary = xcom(dag_run, "merge")
    assert (summary["adopted"], summary["sent"]) == (13, ROWS - 13)  # 12 recorded + the lost one, found again
    assert summary["credits"]["needed"] == ROWS - 12  # the 13th row's outcome was unknown: counted as to send
    assert len(set(summary["parent_tracking_ids"])) == ROWS


def test_a_dry_run_checks_every_row_and_the_credits_and_sends_nothing(
    live: SandboxServer,
    customers: Path,
) -> None:
    dag_run = run(merge_dag("mm_dry_run", customers, ", dry_run=True"))
    assert states(dag_run)["merge"] == ("success", 1)
    assert live.received(api="legallymail", method="POST") == []
    plan = xcom(dag_run, "merge")
    assert plan == {
        "dry_run": True,
        "rows": ROWS,
        "to_send": ROWS,
        "already_sent": 0,
        "duplicates": 0,
        "invalid": 0,
        "problems": [],
        "credits": {"needed": ROWS, "remaining": 100},
    }


def test_a_credit_shortfall_fails_before_the_first_send_without_retrying(
    live: SandboxServer,
    customers: Path,
) -> None:
    live.set_credits(emails=ROWS - 1)
    dag_run = run(merge_dag("mm_credits", customers))
    assert states(dag_run)["merge"] == ("failed", 1)  # no retry: more tries would not buy credits
    assert sent_emails(live) == []
    from airflow_provider_legallymail.operators.mail_merge import CertifiedMailMergeOperator
    from tests.integration.test_legitmailer_operators import execute

    op = CertifiedMailMergeOperator(task_id="m", rows=str(customers), subject="s", html="h")
    with pytest.raises(
        AirflowFailException, match=rf"still has {ROWS} certified email\(s\) to send .* has {ROWS - 1} "
    ):
        execute(op)
    assert live.received(api="legallymail", method="POST") == []


@pytest.mark.usefixtures("connect")
def test_a_row_the_api_refuses_fails_the_task_after_the_others_and_a_rerun_sends_only_it(
    sandbox: SandboxServer,
) -> None:
    from airflow_provider_legallymail.exceptions import RefusedError
    from airflow_provider_legallymail.operators.mail_merge import CertifiedMailMergeOperator
    from tests.integration.test_legitmailer_operators import execute

    rows = [{"email": f"r{i}@example.com", "subject": f"Notice {i}", "html": "<p>x</p>"} for i in range(5)]
    sandbox.fault("legallymail", "POST", "/api/send", status=400, count=1)  # the first row's POST
    with pytest.raises(RefusedError, match=r"refused 1 row\(s\) \(HTTP 400; rows 1\); every other row went out"):
        execute(CertifiedMailMergeOperator(task_id="merge", rows=rows))
    assert recipients(sent_emails(sandbox)) == Counter(f"r{i}@example.com" for i in range(1, 5))
    again = execute(CertifiedMailMergeOperator(task_id="merge", rows=rows), try_number=2)
    assert (again["sent"], again["adopted"], again["credits"]["needed"]) == (1, 4, 1)
    assert recipients(sent_emails(sandbox)) == Counter(f"r{i}@example.com" for i in range(5))


@pytest.mark.usefixtures("connect")
def test_rows_from_sql_with_bad_rows_send_nothing_and_name_only_row_and_column(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import sqlite3

    from airflow_provider_legallymail.exceptions import ValidationError
    from airflow_provider_legallymail.operators.mail_merge import CertifiedMailMergeOperator
    from tests.integration.test_legitmailer_operators import execute

    db_path = tmp_path / "customers.sqlite"
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE customers (id INTEGER, email TEXT, name TEXT)")
        db.executemany("INSERT INTO customers VALUES (?, ?, ?)", [(i, f"s{i}@example.com", f"S{i}") for i in range(8)])
        db.execute("INSERT INTO customers VALUES (8, 'secret.person@', 'Secret')")
    monkeypatch.setenv("AIRFLOW_CONN_CUSTOMERS_DB", json.dumps({"conn_type": "sqlite", "host": str(db_path)}))

    def merge(sql: str, html: str) -> CertifiedMailMergeOperator:
        return CertifiedMailMergeOperator(
            task_id="merge", conn_id="customers_db", sql=sql, subject="Notice {{ id }}", html=html
        )

    with pytest.raises(ValidationError) as caught:
        execute(merge("SELECT * FROM customers ORDER BY id", "<p>{{ name }} {{ plan }}</p>"))
    report = str(caught.value)
    assert "9 problem(s) in the rows" in report and "Nothing was sent." in report
    assert "row 1: html: needs column 'plan', which the row lacks" in report
    assert "row 9: email: not a valid address" in report and "secret" not in report.lower()
    assert sandbox.received(api="legallymail", method="POST") == []
    result = execute(merge("SELECT * FROM customers WHERE id < 8 ORDER BY id", "<p>{{ name }}</p>"))
    assert (result["sent"], result["rows"]) == (8, 8)
    assert recipients(sent_emails(sandbox)) == Counter(f"s{i}@example.com" for i in range(8))


@pytest.mark.usefixtures("connect")
def test_a_sensor_waits_on_the_campaigns_return_value_for_every_row(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_legallymail.waiting import poller

    speed = 120.0  # a read (30 sandbox seconds) arrives in a quarter of a second
    monkeypatch.setattr(poller, "DEFAULT_CLOCK", poller.sped_up(speed))
    sandbox.set_speed(speed)
    rows = [{"email": f"w{i}@example.com", "name": f"W{i}"} for i in range(4)]
    dag = load_dag(
        "mm_then_sensor",
        IMPORT
        + f"""
from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor

with DAG("mm_then_sensor", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    merge = CertifiedMailMergeOperator(task_id="merge", rows={rows!r}, subject="Hi", html="<p>{{{{ name }}}}</p>")
    merge >> CertifiedEmailSensor(task_id="read", tracking_id=merge.output, deferrable=False, poke_interval=0.2,
                                  timeout=120)
""",
    )
    dag_run = run(dag)
    assert states(dag_run) == {"merge": ("success", 1), "read": ("success", 1)}
    read = xcom(dag_run, "read")
    assert read["outcome"] == "reached"
    assert sorted(read["ids"]) == sorted(xcom(dag_run, "merge")["parent_tracking_ids"])
    assert {r["who"]: r["status"] for r in read["recipients"]} == {f"w{i}@example.com": "read" for i in range(4)}
