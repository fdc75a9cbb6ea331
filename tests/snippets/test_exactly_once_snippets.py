"""The "Exactly once" page: its tables are what the code does, and its DAGs send each unit once across retries.

The DAGs run against a sandbox on a real-time clock (a look-up compares the API's creation times with the
worker's clock, as with the real API), with faults injected where the page says what a retry does.
"""

from __future__ import annotations

import configparser
import json
from pathlib import Path
from typing import Any

import pytest
from airflow.models.connection import Connection

from airflow_provider_legallymail.client.retry import RetryPolicy
from airflow_provider_legallymail.client.settings import settings_from_connection
from airflow_provider_legallymail.delivery.deliverer import IN_TRY_RESENDS
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.limits import LIST_LIMIT_MAX
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_snippet, run, snippet_text, states, xcom
from tests.integration.test_exactly_once_dags import live, live_server, posts
from tests.snippets import exactly_once_tables as tables

__all__ = ["live", "live_server"]
pytestmark = pytest.mark.usefixtures("airflow_db")
NO_DELAY = {"pendulum.duration(minutes=5)": "pendulum.duration(seconds=0)"}
S3_LEDGER = "s3://my-bucket/airflow/legallymail-ledger"
PAGE = Path(__file__).resolve().parents[2] / "docs" / "exactly-once.md"
REGENERATE = "regenerate it: .venv/bin/python -m tests.snippets.exactly_once_tables"


def test_the_pages_http_table_is_what_the_client_does() -> None:
    assert tables.HTTP_TABLE == "exactly_once_http_retries.md"
    assert snippet_text("exactly_once_http_retries.md") == tables.http_retry_table(), REGENERATE


def test_the_pages_on_retry_table_is_what_a_later_try_does() -> None:
    assert tables.ON_RETRY_TABLE == "exactly_once_on_retry.md"
    assert snippet_text("exactly_once_on_retry.md") == tables.on_retry_table(), REGENERATE


def test_the_pages_bounds_and_defaults_are_the_clients() -> None:
    policy = RetryPolicy()
    conn = Connection(conn_id="legallymail_default", conn_type="legallymail", password="secret")
    settings = settings_from_connection(conn, LegallyMailHook.api_defaults)
    page = PAGE.read_text()
    for claim in (
        f"`{policy.backoff_base:g} s * 2**attempt`, capped at {policy.backoff_cap:g} s",
        f"one wait within {policy.max_retry_after:g} s",
        f"all its\n  waits together within {policy.max_total_wait:g} s",
        f"up to {policy.max_rate_limit_wait / 60:g} minutes of such waits",
        f"A single\n  `Retry-After` over {policy.max_retry_after:g} s",
        f"| connection extra | `timeout` | `{settings.timeout:g}` |",
        f"| connection extra | `settle_seconds` | `{settings.settle_seconds:g}` |",
        f"| connection extra | `max_retries` | `{settings.max_retries}` |",
        f"({settings.timeout:g} s + {settings.settle_seconds:g} s by default)",
        f"at most {IN_TRY_RESENDS} times per try",
        f"It reads the {LIST_LIMIT_MAX} most recent sends",
    ):
        assert claim in page, claim


def test_the_tables_say_a_send_is_never_repeated_when_its_outcome_is_unknown() -> None:
    rows = {row.split(" | ")[0].strip("| "): row.split(" | ")[-1] for row in tables.http_retry_table().splitlines()}
    for case in ("502, 504 (a gateway failed)", "read timeout", "connection reset after the request was sent"):
        assert rows[case].startswith("`OutcomeUnknownError`, not sent again"), case
    assert rows["503 Service Unavailable"].startswith("sent again")  # refused before processing


def ledger_files(root: Path, dag_id: str, task_id: str) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in (root / dag_id).rglob(f"{task_id}.json")]


def test_a_lost_answer_is_adopted_in_the_same_try(live: SandboxServer) -> None:
    live.fault("legallymail", "POST", "/api/send", drop_response=True, count=1)
    dag_run = run(load_snippet("exactly_once_retries", NO_DELAY))
    assert states(dag_run) == {"certified_notice": ("success", 1), "sms_reminder": ("success", 1)}
    assert [r["dropped"] for r in posts(live, "/api/send")] == [True]  # one POST: committed, answer dropped
    (email,) = LegallyMailHook().list_emails()
    summary = xcom(dag_run, "certified_notice")
    assert summary["parent_tracking_ids"] == [email.tracking_id]
    assert summary["sends"][0]["adopted"] is True


def test_a_send_that_failed_before_commit_is_sent_by_the_next_try(live: SandboxServer) -> None:
    live.fault("legallymail", "POST", "/api/send", status=500, count=1)
    dag_run = run(load_snippet("exactly_once_retries", NO_DELAY))
    assert states(dag_run)["certified_notice"] == ("success", 2)
    assert live.received(api="legallymail", method="GET", path="/api/emails")  # try 2 looked it up first
    assert len(posts(live, "/api/send")) == 2
    (email,) = LegallyMailHook().list_emails()
    assert xcom(dag_run, "certified_notice")["parent_tracking_ids"] == [email.tracking_id]
    assert xcom(dag_run, "certified_notice")["sends"][0]["adopted"] is False


def test_an_sms_whose_answer_was_lost_fails_rather_than_go_out_twice(
    live: SandboxServer, capfd: pytest.CaptureFixture[str]
) -> None:
    live.fault("legallymail", "POST", "/api/sms/send", drop_response=True, count=1)
    dag_run = run(load_snippet("exactly_once_retries", NO_DELAY))
    assert states(dag_run)["sms_reminder"] == ("failed", 2)  # the retry refuses; no third try
    assert len(posts(live, "/api/sms/send")) == 1
    captured = capfd.readouterr()
    assert "Check the service's dashboard, then re-run with on_retry='resend'" in captured.out + captured.err


def test_the_ledger_is_kept_under_the_operators_ledger_path(live: SandboxServer, pdf: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    dag = load_snippet("exactly_once_ledger_path", {"/path/to/contract.pdf": str(pdf), S3_LEDGER: ledger.as_uri()})
    dag_run = run(dag)
    assert states(dag_run) == {"request_signature": ("success", 1)}
    (doc,) = ledger_files(ledger, "contract_ledger_on_s3", "request_signature")
    assert doc["tries"] == [1]
    ((attempt,),) = doc["units"].values()
    assert attempt["state"] == "accepted"
    assert attempt["request"]["signer_emails"] == ["ana@example.com"]  # recorded before the POST
    assert attempt["result"]["uuid"] == xcom(dag_run, "request_signature")["uuid"]


def test_the_configured_ledger_path_holds_every_tasks_ledger(
    live: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = configparser.ConfigParser()
    config.read_string(snippet_text("exactly_once_airflow.cfg"))
    assert config["legallymail"]["ledger_path"] == S3_LEDGER
    ledger = tmp_path / "ledger"
    monkeypatch.setenv("AIRFLOW__LEGALLYMAIL__LEDGER_PATH", ledger.as_uri())  # what Airflow makes of the file
    dag_run = run(load_snippet("exactly_once_retries", NO_DELAY))
    assert states(dag_run) == {"certified_notice": ("success", 1), "sms_reminder": ("success", 1)}
    for task_id in ("certified_notice", "sms_reminder"):
        (doc,) = ledger_files(ledger, "contract_notice_with_retries", task_id)
        assert [attempts[-1]["state"] for attempts in doc["units"].values()] == ["accepted"]
