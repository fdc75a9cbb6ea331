"""A send the API commits after the client gave up is adopted, never sent twice.

The sandbox holds each POST for 4 s before committing it, while the connection's read timeout is 1 s:
the client sees a timeout, and a look-up made at once would not find the send yet. The task must wait
until the attempt can no longer commit (timeout + ``settle_seconds``), then find and adopt it. Real DAG
runs, real waits, the sandbox on a real-time clock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.pdf import render_pdf
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db")

LATENCY = 4.0


@pytest.fixture
def slow_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(speed=1.0, rate_limit=0)) as server:
        env = server.connection_env(requests_per_minute=0, timeout=1, max_retries=0, settle_seconds=LATENCY + 1)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        for path in ("/api/send", "/api/signature/send"):
            server.fault("legallymail", "POST", path, latency=LATENCY, count=1 if path != "/api/send" else 2)
        yield server


def test_sends_committed_after_the_timeout_are_adopted_not_sent_again(slow_api: SandboxServer, tmp_path: Path) -> None:
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(render_pdf("Contract", ["between ACME and Ana"]))
    dag = load_dag(
        "late_commit",
        f"""
        with DAG("late_commit", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
                 default_args={{"retries": 1, "retry_delay": pendulum.duration(seconds=0)}}) as dag:
            SendCertifiedEmailOperator(task_id="single", recipients="ana@example.com", subject="Single",
                                       html="<p>x</p>")
            SendCertifiedEmailOperator(task_id="multi", recipients=["ana@example.com", "bob@example.com"],
                                       subject="Multi", html="<p>x</p>")
            SignatureRequestOperator(task_id="sign", document="{pdf}",
                                     signers=[{{"name": "Ana", "email": "ana@example.com"}}])
        """,
    )
    dag_run = run(dag)
    assert {task: state for task, (state, _) in states(dag_run).items()} == {
        "single": "success",
        "multi": "success",
        "sign": "success",
    }
    hook = LegallyMailHook()
    emails = hook.list_emails()
    assert sorted(str(e.subject) for e in emails) == ["Multi", "Single"]  # one of each: nothing went twice
    (signature,) = hook.list_signatures()
    by_subject = {e.subject: e.tracking_id for e in emails}
    assert xcom(dag_run, "single")["parent_tracking_ids"] == [by_subject["Single"]]
    assert xcom(dag_run, "multi")["parent_tracking_ids"] == [by_subject["Multi"]]
    assert xcom(dag_run, "single")["sends"][0]["adopted"] is True
    assert xcom(dag_run, "sign")["uuid"] == signature.uuid
    assert len(slow_api.received(api="legallymail", method="POST", path="/api/send")) == 2


@pytest.fixture
def retried_then_slow(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """The first POST is refused (503) and sent again 1.5 s later; that one commits 1.6 s after it arrives."""
    from airflow_provider_legallymail.client import transport

    with SandboxServer(SandboxConfig(speed=1.0, rate_limit=0)) as server:
        env = server.connection_env(requests_per_minute=0, timeout=1, max_retries=1, settle_seconds=1)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(transport, "pause", lambda seconds: time.sleep(1.5))  # a fixed backoff
        server.fault("legallymail", "POST", "/api/send", status=503, count=1)
        server.fault("legallymail", "POST", "/api/send", latency=1.6, count=1)  # within timeout + settle_seconds
        yield server


def test_a_send_delayed_by_a_client_retry_settles_from_when_it_went_out(retried_then_slow: SandboxServer) -> None:
    """The wait before the look-up runs from when the POST whose answer was lost was sent, not from when the
    task began the unit: a refusal, its backoff (or a wait for the request budget) came in between."""
    dag = load_dag(
        "late_commit_after_retry",
        """
        with DAG("late_commit_after_retry", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
                 default_args={"retries": 1, "retry_delay": pendulum.duration(seconds=0)}) as dag:
            SendCertifiedEmailOperator(task_id="send", recipients="ana@example.com", subject="Delayed",
                                       html="<p>x</p>")
        """,
    )
    dag_run = run(dag)
    time.sleep(2)  # any POST still held by the sandbox has committed by now
    assert states(dag_run)["send"] == ("success", 1)
    (email,) = LegallyMailHook().list_emails()  # one: the late commit was found, not sent again
    assert xcom(dag_run, "send")["parent_tracking_ids"] == [email.tracking_id]
    assert xcom(dag_run, "send")["sends"][0]["adopted"] is True
    assert [p["status"] for p in retried_then_slow.received(api="legallymail", method="POST", path="/api/send")] == [
        503,
        200,
    ]
