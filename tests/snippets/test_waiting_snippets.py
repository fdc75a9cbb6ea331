"""The "Waiting for outcomes" page's DAGs (docs/snippets/waiting_*.py) run against a sped-up sandbox: wait_for= in
the sending task, and the callback and all_done task that act on a failed or timed-out wait."""

from __future__ import annotations

from pathlib import Path

import pytest

from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_snippet, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db", "connect", "sped_up")


def test_wait_for_settled_sends_once_and_returns_the_summary_with_the_outcome(sandbox: SandboxServer) -> None:
    dag_run = run(load_snippet("waiting_wait_for", {"bob@example.com": "bob+bounce@example.com"}))
    assert set(states(dag_run).values()) == {("success", 1)}  # one bounce is within wait_max_failures=1
    summary = xcom(dag_run, "notices")
    assert summary["wait"]["outcome"] == "reached" and summary["tracking_ids"]  # the send summary, and the wait
    assert [f["who"] for f in summary["wait"]["failures"]] == ["bob+bounce@example.com"]
    assert sorted(xcom(dag_run, "delivered_to")) == [
        "ana@example.com",
        "carl@example.com",
        "dora@example.com",
        "eve@example.com",
    ]
    assert len(sandbox.received(api="legallymail", method="POST", path="/api/send")) == 1


def test_a_signed_contract_reaches_the_follow_up_as_signed(pdf: Path) -> None:
    dag_run = run(load_snippet("waiting_on_failure", {"/path/to/contract.pdf": str(pdf)}))
    assert set(states(dag_run).values()) == {("success", 1)}
    assert xcom(dag_run, "follow_up") == "signed"


def test_a_decline_fails_without_a_retry_and_the_callback_and_follow_up_read_the_outcome(
    pdf: Path, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    dag = load_snippet(
        "waiting_on_failure", {"/path/to/contract.pdf": str(pdf), "ana@example.com": "ana+decline@example.com"}
    )
    dag_run = run(dag)
    assert states(dag_run) == {"sign": ("failed", 1), "follow_up": ("success", 1)}  # retries=2, yet one try
    assert xcom(dag_run, "follow_up") == "declined"
    assert len(sandbox.received(api="legallymail", method="POST", path="/api/signature/send")) == 1
    uuid = xcom(dag_run, "sign", key="legallymail_outcome")["ids"][0]
    assert f"Signature request {uuid} declined: declined to sign at" in caplog.text  # the callback's warning


def test_a_wait_that_reaches_its_deadline_is_not_retried_and_names_who_is_pending(pdf: Path) -> None:
    replace = {
        "/path/to/contract.pdf": str(pdf),
        "ana@example.com": "ana+nosign@example.com",
        "wait_timeout=timedelta(days=8)": "wait_timeout=timedelta(seconds=2)",
    }
    dag_run = run(load_snippet("waiting_on_failure", replace))
    assert states(dag_run) == {"sign": ("failed", 1), "follow_up": ("success", 1)}
    assert xcom(dag_run, "follow_up") == "still unsigned: ana+nosign@example.com"
