"""TemplateBatchOperator against requests-mock: checks before sending, every source, resuming after a retry."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import requests_mock as rm

from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.operators.legitmailer import TemplateBatchOperator
from tests.conftest import LT_URL
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("lt_conn")

BATCH = f"{LT_URL}/api/batch/email/template"
TEMPLATES = {
    "welcome": ("d2VsY29tZQ", ["first_name"]),
    "contract-reminder": ("Y29udHJhY3Q", ["name", "contract", "due_date"]),
}


class FakeApi:
    """Templates, and a batch endpoint that records what it accepted; ``faults[first address]`` scripts it."""

    def __init__(self, m: rm.Mocker, faults: dict[str, list[Any]] | None = None) -> None:
        self.accepted: list[list[dict[str, Any]]] = []
        self.posts: list[str] = []  # first address of every POST, in order
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self._lock = threading.Lock()
        listing = [{"name": name, "templateId": tid} for name, (tid, _) in TEMPLATES.items()]
        m.get(f"{LT_URL}/api/template/list", json={"count": len(listing), "templates": listing})
        for name, (tid, tokens) in TEMPLATES.items():
            body = " ".join(f"${{{t}}}" for t in tokens)
            m.get(f"{LT_URL}/api/template/{tid}", json={"name": name, "body": body, "tokens": tokens})
        m.post(BATCH, json=self.answer)

    def answer(self, request: Any, context: Any) -> dict[str, Any]:
        entries = request.json()["emailList"]
        first = entries[0]["email"]
        with self._lock:
            self.posts.append(first)
            outcome = self.faults.get(first, []).pop(0) if self.faults.get(first) else None
            if outcome != "refuse" and not isinstance(outcome, int):
                self.accepted.append(entries)
        if outcome == "lost":  # processed, but the answer never arrives
            raise requests.exceptions.ReadTimeout("read timed out")
        if outcome == "refuse":
            context.status_code = 400
            return {"message": f"emailList[0].email: {first} failed address validation"}
        if isinstance(outcome, int):
            context.status_code = outcome
            return {"message": "unavailable"}
        return {"trackingIds": [f"tr-{e['email']}" for e in entries]}

    def delivered(self) -> Counter[str]:
        return Counter(e["email"] for batch in self.accepted for e in batch)


def people(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"email": f"u{i}@example.com", "first_name": f"Name{i}"} for i in range(start, start + n)]


def execute(op: Any, try_number: int = 1) -> Any:
    ti = SimpleNamespace(dag_id="direct", run_id="run1", task_id=op.task_id, map_index=-1, try_number=try_number)
    return op.execute({"ti": ti})


def test_a_missing_token_blocks_the_whole_send_and_every_problem_is_reported() -> None:
    rows: list[Any] = [
        {"email": f"u{i}@example.com", "name": "Ana", "contract": f"C{i}", "due_date": "2025-01-31"} for i in range(60)
    ]
    for i in range(5, 55, 2):  # 25 rows without due_date
        del rows[i]["due_date"]
    rows[0]["email"] = "not-an-address"
    rows[2] = "a plain string"
    op = TemplateBatchOperator(task_id="send", template="contract-reminder", recipients=rows)
    with rm.Mocker() as m:
        api = FakeApi(m)
        with pytest.raises(AirflowFailException) as failure:
            execute(op)
    assert api.posts == []
    message = str(failure.value)
    assert "27 problem(s)" in message and "... and 7 more" in message and "Nothing was sent" in message
    assert "row 1: email: not a valid address" in message
    assert "row 6: missing token(s): due_date" in message
    assert "row 3: not a mapping" in message
    assert "@example.com" not in message and "not-an-address" not in message


def test_an_unknown_template_fails_before_reading_or_sending() -> None:
    op = TemplateBatchOperator(task_id="send", template="nope", recipients=people(3))
    with rm.Mocker() as m:
        api = FakeApi(m)
        with pytest.raises(AirflowFailException, match="not a template of this account"):
            execute(op)
    assert api.posts == []


@pytest.mark.usefixtures("airflow_db")
def test_xcom_list_of_email_and_token_map_is_sent_in_batches() -> None:
    dag = load_dag(
        "lt_batch_xcom",
        """
        from airflow_provider_legallymail.operators.legitmailer import TemplateBatchOperator

        with DAG("lt_batch_xcom", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            @task
            def audience():
                return [{"email": f"p{i}@example.com", "token_map": {"first_name": f"P{i}"}} for i in range(250)]

            TemplateBatchOperator(task_id="send", template="welcome", recipients=audience(), batch_size=100)
        """,
    )
    with rm.Mocker() as m:
        api = FakeApi(m)
        dag_run = run(dag)
    assert states(dag_run)["send"] == ("success", 1)
    assert sorted(len(b) for b in api.accepted) == [50, 100, 100]
    assert {"email": "p0@example.com", "tokenMap": {"first_name": "P0"}} in [e for b in api.accepted for e in b]
    result = xcom(dag_run, "send")
    assert (result["sent"], result["skipped"], result["failed"]) == (250, 0, 0)
    assert [(b["index"], b["recipients"], b["status"]) for b in result["batches"]] == [
        (1, 100, "sent"),
        (2, 100, "sent"),
        (3, 50, "sent"),
    ]


def test_csv_file_rows_are_flat_and_extra_columns_are_not_sent(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    lines = ["email,first_name,internal_note"] + [f"c{i}@example.com,C{i},secret" for i in range(7)]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    op = TemplateBatchOperator(task_id="send", template="welcome", recipients=str(path), batch_size=3)
    with rm.Mocker() as m:
        api = FakeApi(m)
        result = execute(op)
    assert sorted(len(b) for b in api.accepted) == [1, 3, 3]
    assert {"email": "c0@example.com", "tokenMap": {"first_name": "C0"}} in [e for b in api.accepted for e in b]
    assert result["sent"] == 7


def test_json_lines_from_an_object_storage_url(tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in people(5)) + "\n\n")
    op = TemplateBatchOperator(task_id="send", template="welcome", recipients=f"file://{path}", batch_size=2)
    with rm.Mocker() as m:
        api = FakeApi(m)
        result = execute(op)
    assert sum(api.delivered().values()) == 5 and result["sent"] == 5


def test_sql_rows_through_a_sqlite_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_path = tmp_path / "crm.sqlite"
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE customers (email TEXT, first_name TEXT, active INTEGER)")
        db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?)", [(f"s{i}@example.com", f"S{i}", i % 2) for i in range(2500)]
        )
    monkeypatch.setenv("AIRFLOW_CONN_CRM_DB", json.dumps({"conn_type": "sqlite", "host": str(db_path)}))
    op = TemplateBatchOperator(
        task_id="send",
        template="welcome",
        conn_id="crm_db",
        sql="SELECT email, first_name FROM customers WHERE active = 1 ORDER BY email",
        batch_size=500,
    )
    with rm.Mocker() as m:
        api = FakeApi(m)
        result = execute(op)
    assert sorted(len(b) for b in api.accepted) == [250, 500, 500]
    assert set(api.delivered()) == {f"s{i}@example.com" for i in range(1, 2500, 2)}
    assert result["sent"] == 1250


def test_a_sql_source_needs_a_sql_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    op = TemplateBatchOperator(task_id="send", template="welcome", conn_id="legitmailer_default", sql="SELECT 1")
    with rm.Mocker() as m:
        api = FakeApi(m)
        with pytest.raises(AirflowFailException, match="not a SQL connection"):
            execute(op)
    assert api.posts == []


def test_duplicate_addresses_are_sent_once_unless_dedupe_is_off() -> None:
    rows = [*people(4), {"email": "U1@Example.com", "first_name": "again"}, people(1, 2)[0]]
    with rm.Mocker() as m:
        api = FakeApi(m)
        result = execute(TemplateBatchOperator(task_id="send", template="welcome", recipients=rows))
    assert sorted(api.delivered().values()) == [1, 1, 1, 1]
    assert (result["sent"], result["skipped"], result["duplicates"]) == (4, 2, 2)
    assert api.accepted[0][1]["tokenMap"] == {"first_name": "Name1"}  # the first occurrence wins
    with rm.Mocker() as m:
        api = FakeApi(m)
        execute(TemplateBatchOperator(task_id="again", template="welcome", recipients=rows, dedupe=False))
    assert sum(api.delivered().values()) == 6


def test_skip_invalid_sends_the_good_rows_and_reports_the_bad_ones_without_values(
    capfd: pytest.CaptureFixture[str],
) -> None:
    rows = [*people(3), {"email": "broken@", "first_name": "X"}, {"email": "u9@example.com"}]
    op = TemplateBatchOperator(task_id="send", template="welcome", recipients=rows, skip_invalid=True)
    with rm.Mocker() as m:
        api = FakeApi(m)
        result = execute(op)
    assert set(api.delivered()) == {"u0@example.com", "u1@example.com", "u2@example.com"}
    assert (result["sent"], result["skipped"], result["invalid"]) == (3, 2, 2)
    assert result["problems"] == ["row 4: email: not a valid address", "row 5: missing token(s): first_name"]
    logs = capfd.readouterr()
    assert "@example.com" not in logs.out + logs.err and "Name1" not in logs.out + logs.err


def test_a_batch_the_api_refuses_is_counted_with_skip_invalid_and_fails_the_task_without() -> None:
    faults = {"u10@example.com": ["refuse", "refuse"]}
    rows = people(30)
    with rm.Mocker() as m:
        FakeApi(m, faults)
        result = execute(
            TemplateBatchOperator(task_id="send", template="welcome", recipients=rows, batch_size=10, skip_invalid=True)
        )
        assert (result["sent"], result["failed"]) == (20, 10)
        assert [b["status"] for b in result["batches"]] == ["sent", "refused", "sent"]
        assert "<address>" in result["batches"][1]["error"] and "u10@" not in result["batches"][1]["error"]
        with pytest.raises(Exception, match=r"refused 1 batch\(es\)"):
            execute(TemplateBatchOperator(task_id="strict", template="welcome", recipients=rows, batch_size=10))


def batch_dag(
    dag_id: str, on_retry: str = "adopt", rows: int = 30, batch_size: int = 10, active: int = 1, retries: int = 1
) -> Any:
    return load_dag(
        dag_id,
        f"""
        from airflow_provider_legallymail.operators.legitmailer import TemplateBatchOperator

        with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
                 default_args={{"retries": {retries}, "retry_delay": pendulum.duration(seconds=0)}}) as dag:
            TemplateBatchOperator(
                task_id="send", template="welcome", batch_size={batch_size}, max_active_requests={active},
                on_retry="{on_retry}",
                recipients=[{{"email": f"u{{i}}@example.com", "first_name": f"N{{i}}"}} for i in range({rows})],
            )
        """,
    )


@pytest.mark.usefixtures("airflow_db")
def test_retry_after_a_lost_batch_resends_it_only_when_asked_and_never_resends_batch_one() -> None:
    with rm.Mocker() as m:
        api = FakeApi(m, {"u10@example.com": ["lost"]})
        dag_run = run(batch_dag("lt_batch_lost_resend", on_retry="resend"))
    assert states(dag_run)["send"] == ("success", 2)
    assert api.posts == ["u0@example.com", "u10@example.com", "u10@example.com", "u20@example.com"]
    result = xcom(dag_run, "send")
    assert [b["status"] for b in result["batches"]] == ["adopted", "sent", "sent"]
    assert result["sent"] == 30


@pytest.mark.usefixtures("airflow_db")
def test_retry_after_a_lost_batch_fails_by_default_but_sends_the_rest() -> None:
    with rm.Mocker() as m:
        api = FakeApi(m, {"u10@example.com": ["lost"]})
        dag_run = run(batch_dag("lt_batch_lost_adopt"))
    assert states(dag_run)["send"] == ("failed", 2)
    assert api.posts == ["u0@example.com", "u10@example.com", "u20@example.com"]
    assert max(api.delivered().values()) == 1


@pytest.mark.usefixtures("airflow_db")
def test_retry_after_a_500_resumes_after_the_batches_that_went_out() -> None:
    with rm.Mocker() as m:
        api = FakeApi(m, {"u10@example.com": [500]})
        dag_run = run(batch_dag("lt_batch_500", on_retry="resend"))
    assert states(dag_run)["send"] == ("success", 2)
    assert api.posts == ["u0@example.com", "u10@example.com", "u10@example.com", "u20@example.com"]
    assert sorted(set(api.delivered().values())) == [1]


@pytest.mark.usefixtures("airflow_db")
def test_a_batch_refused_with_503_is_sent_again_by_the_retry_under_concurrency() -> None:
    refused = {f"u{i}@example.com": [503] * 4 for i in (35, 115)}  # beyond the hook's 3 retries
    with rm.Mocker() as m:
        api = FakeApi(m, refused)
        dag_run = run(batch_dag("lt_batch_503", rows=200, batch_size=5, active=4, retries=2))
    assert states(dag_run)["send"] == ("success", 3)  # each try stops at one refused batch
    delivered = api.delivered()
    assert set(delivered) == {f"u{i}@example.com" for i in range(200)}
    assert set(delivered.values()) == {1}  # every address exactly once across both tries
    result = xcom(dag_run, "send")
    assert [b["index"] for b in result["batches"]] == list(range(1, 41))
    assert result["sent"] == 200 and result["failed"] == 0


def test_bad_arguments_fail_without_a_request() -> None:
    with rm.Mocker() as m:
        api = FakeApi(m)
        for op in (
            TemplateBatchOperator(task_id="a", template="welcome"),
            TemplateBatchOperator(task_id="b", template="welcome", recipients="people.xlsx"),
            TemplateBatchOperator(task_id="c", template="welcome", recipients=people(2), sql="SELECT 1"),
            TemplateBatchOperator(task_id="d", template="welcome", recipients=people(2), batch_size=0),
            TemplateBatchOperator(task_id="e", template="welcome", recipients=people(2), max_active_requests=0),
        ):
            with pytest.raises(AirflowFailException):
                execute(op)
    assert api.posts == []


def test_a_retry_whose_recipients_changed_sends_nothing_unless_asked() -> None:
    rows = people(30)
    with rm.Mocker() as m:
        api = FakeApi(m, {"u10@example.com": ["lost"]})
        op = TemplateBatchOperator(
            task_id="send", template="welcome", recipients=rows, batch_size=10, max_active_requests=1
        )
        with pytest.raises(Exception, match="OutcomeUnknownError"):
            execute(op)
        assert len(api.posts) == 2
        shifted = [{"email": "new@example.com", "first_name": "New"}, *rows]  # every batch changes
        changed = TemplateBatchOperator(task_id="send", template="welcome", recipients=shifted, batch_size=10)
        with pytest.raises(AirflowFailException, match=r"recipients changed.*batches 1, 2"):
            execute(changed, try_number=2)
        assert len(api.posts) == 2
        changed.on_retry = "resend"
        assert execute(changed, try_number=3)["sent"] == 31
    assert len(api.posts) == 6


def test_on_retry_fail_sends_nothing_that_an_earlier_try_touched() -> None:
    with rm.Mocker() as m:
        api = FakeApi(m, {"u10@example.com": [500]})
        op = TemplateBatchOperator(
            task_id="send", template="welcome", recipients=people(30), batch_size=10, max_active_requests=1
        )
        op.on_retry = "fail"
        with pytest.raises(Exception, match="HTTP 500"):
            execute(op)
        with pytest.raises(AirflowFailException, match=r"on_retry='fail'.*batch 1, batch 2"):
            execute(op, try_number=2)
    assert api.posts == ["u0@example.com", "u10@example.com", "u20@example.com"]  # try 2 sent only batch 3
